using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;

namespace GeoLedger.Storage;

/// <summary>
/// An entry as .NEXT reads it from the log: a stored entry with its payload in memory, or the
/// snapshot standing for every entry up to its index (streamed from its file).
/// </summary>
internal sealed class LogEntryView : IRaftLogEntry
{
    private readonly ReadOnlyMemory<byte> payload;
    private readonly string? snapshotPath;
    private readonly long length;

    private LogEntryView(long index, long term, LogEntryFlags flags, int commandId, ReadOnlyMemory<byte> payload, string? snapshotPath, long length)
    {
        Index = index;
        Term = term;
        Flags = flags;
        CommandId = (flags & LogEntryFlags.HasCommandId) != 0 ? commandId : null;
        this.payload = payload;
        this.snapshotPath = snapshotPath;
        this.length = length;
    }

    /// <summary>A stored entry.</summary>
    public static LogEntryView Of(in StoredEntry entry) =>
        new(entry.Index, entry.Term, entry.Flags, entry.CommandId, entry.Payload, null, entry.Payload.Length);

    /// <summary>An entry whose payload is not read (for readers that want terms only).</summary>
    public static LogEntryView MetadataOnly(long index, long term) => new(index, term, LogEntryFlags.None, 0, ReadOnlyMemory<byte>.Empty, null, 0);

    /// <summary>The snapshot in <paramref name="file"/>.</summary>
    public static LogEntryView Snapshot(SnapshotFile file) =>
        new(file.Index, file.Term, LogEntryFlags.None, 0, ReadOnlyMemory<byte>.Empty, file.Path, new FileInfo(file.Path).Length);

    /// <summary>The entry's index (the snapshot's last index for a snapshot).</summary>
    public long Index { get; }

    /// <summary>What the entry is.</summary>
    public LogEntryFlags Flags { get; }

    /// <inheritdoc/>
    public long Term { get; }

    /// <inheritdoc/>
    public int? CommandId { get; }

    /// <inheritdoc/>
    public bool IsConfiguration => (Flags & LogEntryFlags.Configuration) != 0;

    /// <inheritdoc/>
    public bool IsSnapshot => snapshotPath is not null;

    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>
    public long? Length => length;

    /// <summary>The payload of a stored entry.</summary>
    public ReadOnlyMemory<byte> Payload => payload;

    /// <inheritdoc/>
    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = payload;
        return snapshotPath is null;
    }

    /// <inheritdoc/>
    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        if (snapshotPath is null)
        {
            await writer.WriteAsync(payload, null, token).ConfigureAwait(false);
            return;
        }

        // The file stays readable while it is sent even if a newer snapshot replaces it meanwhile.
        await using var stream = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1024 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await writer.CopyFromAsync(stream, length, token).ConfigureAwait(false);
    }
}
