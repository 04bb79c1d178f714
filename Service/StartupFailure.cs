namespace GeoLedger;

/// <summary>Reports why a node cannot start, through a logger of its own (the host may not exist yet).</summary>
internal static class StartupFailure
{
    /// <summary>Logs <paramref name="reason"/> as critical and returns the process exit code.</summary>
    public static int Report(string reason)
    {
        using (var factory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)))
            LogMessages.StartupFailed(factory.CreateLogger("GeoLedger"), reason);
        return 2;
    }
}
