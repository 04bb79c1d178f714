using System.Diagnostics;

namespace GeoLedger.Faults.Lab;

/// <summary>Runs the few system commands the lab needs (ip, nft), failing loudly with their output.</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; throws with stderr when it fails.</summary>
    public static string Run(string file, params string[] args)
    {
        var (code, output) = TryRun(file, args);
        return code == 0 ? output : throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' failed ({code}): {output.Trim()}");
    }

    /// <summary>Runs a command and returns its exit code and combined output.</summary>
    public static (int Code, string Output) TryRun(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish in 30 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
