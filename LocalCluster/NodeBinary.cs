using System.Reflection;

namespace GeoLedger.LocalCluster;

/// <summary>Finds the built node (Service's <c>GeoLedger.dll</c>) of the same build configuration as this assembly.</summary>
public static class NodeBinary
{
    /// <summary>Environment variable that names the node dll explicitly (e.g. a Release build for the benchmark).</summary>
    public const string OverrideVariable = "GEOLEDGER_NODE_DLL";

    /// <summary>The path of <c>GeoLedger.dll</c>.</summary>
    /// <exception cref="FileNotFoundException">The node has not been built.</exception>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } explicitPath)
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new FileNotFoundException($"{OverrideVariable} names '{explicitPath}', which does not exist");

        var configuration = typeof(NodeBinary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BuildConfiguration")?.Value ?? "Debug";
        var root = RepositoryRoot();
        var dll = Path.Combine(root, "Service", "bin", configuration, "net10.0", "GeoLedger.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"The node is not built: '{dll}' is missing. Run 'dotnet build solution/GeoLedger.slnx -c {configuration}' first.");
    }

    /// <summary>The repository root: the first folder above this assembly holding <c>solution/GeoLedger.slnx</c>.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "solution", "GeoLedger.slnx")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException($"No solution/GeoLedger.slnx above '{AppContext.BaseDirectory}': run from inside the repository");
    }
}
