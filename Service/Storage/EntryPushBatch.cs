namespace GeoLedger.Storage;

/// <summary>Entries the leader pushes to a member (<see cref="LedgerLog.ReadForPush"/>): all of <paramref name="Term"/>, following <paramref name="PrevIndex"/> of <paramref name="PrevTerm"/>.</summary>
public sealed record EntryPushBatch(long Term, long PrevIndex, long PrevTerm, List<LogEntryInput> Entries);
