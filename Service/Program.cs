using GeoLedger;
using GeoLedger.Backup;
using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.Logging;
using GeoLedger.Storage;

// `restore --from backup --data folder` prepares a new node's data folder from a backup instead of running a node.
if (args is [RestoreCommand.Name, ..])
{
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
    return RestoreCommand.Run(args[1..], loggers.CreateLogger("GeoLedger"));
}

// One GeoLedger node: the client API on its public port, Raft on its own port.
GcLatency.Start();
WebApplication app;
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Logging.AddLedgerConsole();
    builder.AddLedgerNode();
    app = builder.Build();
    await app.RestoreLedgerStateAsync();
    app.UseLedgerNode();
}
catch (Exception e) when (e is NodeConfigException or InvalidOperationException or SnapshotCorruptedException or WriteAheadLogDamagedException or LogDamagedException)
{
    return StartupFailure.Report(e.Message);
}

// Read before running: when the host fails to start it disposes its services, and the handler below must not need them.
var folder = app.Services.GetRequiredService<LedgerOptions>().DataDirectory;
try
{
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is LogDamagedException or InvalidDataException or SnapshotCorruptedException)
{
    return StartupFailure.Report($"the write-ahead log or snapshots in folder '{folder}' failed an integrity check ({e.GetType().Name}: {e.Message}). Move the folder aside and let the node catch up from the cluster, or restore it from a backup.");
}
