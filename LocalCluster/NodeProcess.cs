using System.Diagnostics;

namespace GeoLedger.LocalCluster;

/// <summary>
/// One node as a separate OS process: started from the built <c>GeoLedger.dll</c> with its node config
/// and data folder, every output line passed to <see cref="Output"/> prefixed with the node id.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly string nodeDll;
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly IReadOnlyList<string>? commandLine;
    private readonly IReadOnlyList<string> launchPrefix;
    private Process? process;

    /// <summary>Prepares (does not start) the node described by <paramref name="spec"/>.</summary>
    /// <param name="spec">The node.</param>
    /// <param name="settings">
    /// Extra configuration (e.g. <c>Raft:rpcTimeout</c>), passed in the environment as <c>Raft__rpcTimeout</c>: secrets and
    /// tokens never appear on a command line, which every user of the machine can read (<c>ps</c>, /proc/PID/cmdline).
    /// </param>
    /// <param name="output">Receives each output line, already prefixed with <c>[id]</c>.</param>
    /// <param name="commandLine">
    /// Arguments that replace the node config file (e.g. the article's <c>--members:N</c> form); the
    /// data folder and <paramref name="settings"/> are still passed.
    /// </param>
    /// <param name="launchPrefix">
    /// A command the node runs under, e.g. <c>ip netns exec ns0</c>; it must exec the node in place so
    /// that signals reach the node itself.
    /// </param>
    public NodeProcess(NodeSpec spec, IReadOnlyDictionary<string, string>? settings = null, Action<string>? output = null, IReadOnlyList<string>? commandLine = null, IReadOnlyList<string>? launchPrefix = null)
    {
        Spec = spec;
        this.launchPrefix = launchPrefix ?? [];
        this.settings = settings ?? new Dictionary<string, string>();
        this.commandLine = commandLine;
        Output = output ?? (_ => { });
        nodeDll = NodeBinary.Locate();
    }

    /// <summary>The node.</summary>
    public NodeSpec Spec { get; }

    /// <summary>The member id.</summary>
    public string Id => Spec.Id;

    /// <summary>The client base URL.</summary>
    public Uri PublicUrl => Spec.Member.Public;

    /// <summary>Where output lines go.</summary>
    public Action<string> Output { get; }

    /// <summary>The OS process id while running.</summary>
    public int? Pid => process is { HasExited: false } p ? p.Id : null;

    /// <summary>True while the process runs (a SIGSTOPped process counts as running).</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>Starts the process; the node config must have been written.</summary>
    public void Start()
    {
        if (IsRunning)
            throw new InvalidOperationException($"{Id} is already running");
        Directory.CreateDirectory(Spec.DataDirectory);
        // Under a prefix (ip netns exec ...) the prefix execs dotnet in place, so the pid is still the node's.
        var info = new ProcessStartInfo(launchPrefix.Count == 0 ? DotnetHost() : launchPrefix[0])
        {
            WorkingDirectory = Path.GetDirectoryName(nodeDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in launchPrefix.Skip(1).Concat(launchPrefix.Count == 0 ? [nodeDll] : [DotnetHost(), nodeDll]))
            info.ArgumentList.Add(part);
        if (commandLine is null)
            info.ArgumentList.Add($"--Ledger:NodeConfig={Spec.NodeConfigPath}");
        else
            foreach (var argument in commandLine)
                info.ArgumentList.Add(argument);
        info.ArgumentList.Add($"--Ledger:DataDirectory={Spec.DataDirectory}");
        foreach (var (key, value) in settings)
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var started = new Process { StartInfo = info, EnableRaisingEvents = true };
        started.OutputDataReceived += (_, e) => { if (e.Data is not null) Output($"[{Id}] {e.Data}"); };
        started.ErrorDataReceived += (_, e) => { if (e.Data is not null) Output($"[{Id}] {e.Data}"); };
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (process is null || process.HasExited)
            return;
        // kill(2) directly: Process.Kill walks the process tree first, which spreads two kills meant
        // to land together tens of milliseconds apart. A node has no children to take along.
        if (!Signals.TrySend(process.Id, Signals.Kill))
            process.Kill();
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>SIGTERM and wait up to <paramref name="timeout"/> for a clean exit, then SIGKILL.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (process is null || process.HasExited)
            return;
        Resume();
        Signals.TrySend(process.Id, Signals.Terminate);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>SIGSTOP: the node freezes with its sockets open (a hung VM, a GC pause).</summary>
    public void Pause()
    {
        if (process is not { HasExited: false } || !Signals.TrySend(process.Id, Signals.Stop))
            throw new InvalidOperationException($"{Id} is not running, so it cannot be paused");
    }

    /// <summary>SIGCONT: a frozen node resumes.</summary>
    public void Resume()
    {
        if (process is { HasExited: false })
            Signals.TrySend(process.Id, Signals.Continue);
    }

    /// <summary>The exit code once the process has exited.</summary>
    public int? ExitCode => process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Waits for the process to exit on its own.</summary>
    public Task WaitForExitAsync(CancellationToken token) => process?.WaitForExitAsync(token) ?? Task.CompletedTask;

    /// <summary>Polls <c>/readyz</c> until it answers 200 or <paramref name="timeout"/> passes.</summary>
    /// <exception cref="TimeoutException">The node did not become ready in time.</exception>
    public async Task WaitReadyAsync(HttpClient client, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process is { HasExited: true })
                throw new InvalidOperationException($"{Id} exited with code {process.ExitCode} before it became ready");
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await client.GetAsync(new Uri(PublicUrl, "/readyz"), attempt.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Id} was not ready within {timeout.TotalSeconds:0} s");
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            Resume();
            await KillAsync().ConfigureAwait(false);
            process.Dispose();
            process = null;
        }
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
