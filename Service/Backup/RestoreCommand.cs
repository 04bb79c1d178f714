using GeoLedger.Ledger;
using GeoLedger.Storage;

namespace GeoLedger.Backup;

/// <summary>
/// <c>GeoLedger restore --from backup.bin --data folder</c>: verifies a backup (<c>GET /v1/backup</c>) and makes a new
/// node's data folder from it, so that a cluster of nodes restored from the same file starts with exactly its state
/// and continues revisions after it.
/// </summary>
/// <remarks>
/// The folder gets only the snapshot, at the backup's revision as its log index and with term 0: the new cluster's log
/// and terms start fresh (its first term is 1), so every entry after the snapshot has a term at least the snapshot's,
/// as Raft's log comparison needs.
/// </remarks>
internal static class RestoreCommand
{
    /// <summary>The command's name, the first argument.</summary>
    public const string Name = "restore";

    private const string Usage = "usage: GeoLedger restore --from <backup file> --data <new node's data folder>";

    /// <summary>Runs the command; returns the process exit code (0 restored, 1 refused, 2 bad arguments).</summary>
    public static int Run(IReadOnlyList<string> args, ILogger logger)
    {
        if (!TryParse(args, out var from, out var data, out var problem))
        {
            LogMessages.RestoreRefused(logger, $"{problem}; {Usage}");
            return 2;
        }

        try
        {
            var restored = Restore(from!, data!);
            LogMessages.Restored(logger, from!, restored.State.Keys.Count, restored.State.Revision, data!);
            return 0;
        }
        catch (RestoreRefusedException e)
        {
            LogMessages.RestoreRefused(logger, e.Message);
            return 1;
        }
    }

    /// <summary>Verifies <paramref name="from"/> and writes it into the new data folder <paramref name="data"/>.</summary>
    /// <exception cref="RestoreRefusedException">The backup is damaged, or the folder is not new; nothing was written.</exception>
    public static SnapshotContent Restore(string from, string data)
    {
        SnapshotContent content;
        try
        {
            content = SnapshotFormat.Read(from, 0, 0);
        }
        catch (SnapshotCorruptedException e)
        {
            throw new RestoreRefusedException($"backup '{from}' {e.Problem}. Take the backup again (GET /v1/backup) or use an intact copy");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new RestoreRefusedException($"backup '{from}' cannot be read: {e.Message}");
        }

        if (Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any())
            throw new RestoreRefusedException($"data folder '{data}' is not empty: restore only into a new folder (move this one aside first)");
        try
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(data);
            else
                Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // it holds every value
            new SnapshotFiles(Path.Combine(data, "snapshots")).Write(content.State, content.State.Revision, term: 0, CancellationToken.None);
            FileSync.Directory(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RestoreRefusedException($"data folder '{data}' cannot be written: {e.Message}");
        }

        return content;
    }

    private static bool TryParse(IReadOnlyList<string> args, out string? from, out string? data, out string problem)
    {
        from = data = null;
        problem = "";
        for (var i = 0; i < args.Count; i++)
        {
            var given = args[i];
            var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, (string?)v) : (args[i], i + 1 < args.Count ? args[++i] : null);
            switch (name)
            {
                case "--from" when from is null && !string.IsNullOrEmpty(value):
                    from = value;
                    break;
                case "--data" when data is null && !string.IsNullOrEmpty(value):
                    data = value;
                    break;
                default:
                    problem = $"unexpected, repeated or empty argument '{given}'";
                    return false;
            }
        }

        if (from is null || data is null)
            problem = "both --from and --data are needed";
        return from is not null && data is not null;
    }
}

/// <summary>A restore that was refused; the message says why and what to do.</summary>
internal sealed class RestoreRefusedException(string message) : Exception(message);
