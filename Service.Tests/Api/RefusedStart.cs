using System.Diagnostics;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.Api;

/// <summary>
/// The service run as a process of its own with settings or data it must refuse. Only a real process shows the
/// refusal: the message is the program's last word, logged after the host is gone.
/// </summary>
internal static class RefusedStart
{
    /// <summary>
    /// Runs the service in <paramref name="workingDirectory"/> on ports of its own with <paramref name="args"/>, under
    /// <paramref name="wrapper"/> (a command that ends by running the arguments it is given) when there is one; returns
    /// its exit code and everything it printed. Fails the test if it is still running after 60 s.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, IEnumerable<string> args, IReadOnlyList<string>? wrapper = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        wrapper ??= [];
        var start = new ProcessStartInfo(wrapper.Count > 0 ? wrapper[0] : dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in wrapper.Skip(1).Concat(wrapper.Count > 0 ? [dotnet] : []))
            start.ArgumentList.Add(arg);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GeoLedger.dll"));
        // Should it start after all, it listens on ports nobody else uses and the test fails on the timeout.
        foreach (var arg in (string[])["--urls", $"http://127.0.0.1:{PortAllocator.Next()}", $"--Ledger:RaftPort={PortAllocator.Next()}", .. args])
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The service started instead of refusing: {await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The run ended with exit code 2 and printed "Node cannot start" and <paramref name="expected"/>.</summary>
    public static void AssertRefused((int ExitCode, string Output) run, string expected)
    {
        Assert.True(run.ExitCode == 2, $"exit code {run.ExitCode}: {run.Output}");
        Assert.Contains("Node cannot start", run.Output, StringComparison.Ordinal);
        Assert.Contains(expected, run.Output, StringComparison.Ordinal);
    }
}
