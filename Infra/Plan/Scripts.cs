using System.Reflection;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// The shell scripts under <c>Infra/Scripts</c>, compiled into the assembly: real files, so the tests
/// run them (on a loop device, against pebble) exactly as a VM does.
/// </summary>
public static class Scripts
{
    /// <summary>Mounts the data disk (<c>geoledger-data-disk.sh</c>).</summary>
    public static string DataDisk { get; } = Read("geoledger-data-disk.sh");

    /// <summary>Gets the node's first ACME certificate (<c>geoledger-cert-obtain.sh</c>).</summary>
    public static string CertObtain { get; } = Read("geoledger-cert-obtain.sh");

    /// <summary>certbot's deploy hook, writing the PEM file the node reloads (<c>geoledger-cert-deploy.sh</c>).</summary>
    public static string CertDeploy { get; } = Read("geoledger-cert-deploy.sh");

    /// <summary>The membership step a Run Command runs on a VM (<c>geoledger-member.py</c>, Python 3 as on every Ubuntu image).</summary>
    public static string Member { get; } = Read("geoledger-member.py");

    private static string Read(string name)
    {
        using var stream = typeof(Scripts).Assembly.GetManifestResourceStream("GeoLedger.Infra.Scripts." + name)
            ?? throw new InvalidOperationException($"Infra/Scripts/{name} is not embedded in {typeof(Scripts).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
