namespace GeoLedger.Storage;

/// <summary>An entry to append to the log.</summary>
/// <param name="Term">Its term.</param>
/// <param name="Flags">What it is.</param>
/// <param name="CommandId">.NEXT's command id when <see cref="LogEntryFlags.HasCommandId"/> is set.</param>
/// <param name="Payload">Its bytes.</param>
public readonly record struct LogEntryInput(long Term, LogEntryFlags Flags, int CommandId, ReadOnlyMemory<byte> Payload);

/// <summary>An entry read back from the log.</summary>
/// <param name="Index">Its index.</param>
/// <param name="Term">Its term.</param>
/// <param name="Flags">What it is.</param>
/// <param name="CommandId">.NEXT's command id when <see cref="LogEntryFlags.HasCommandId"/> is set.</param>
/// <param name="Payload">Its bytes (owned by the reader).</param>
public readonly record struct StoredEntry(long Index, long Term, LogEntryFlags Flags, int CommandId, ReadOnlyMemory<byte> Payload);
