namespace GeoLedger.Storage;

/// <summary>
/// A leader append was refused because this node is not the leader of the entry's term (any more, or
/// ever): nothing was appended. .NEXT's <c>ReplicateAsync(payload, context)</c> tags an entry with the
/// node's current term, read apart from the leader state it then appends through; a leader stepping
/// down in between would otherwise append an entry carrying the new leader's term that the new leader
/// never wrote, and Raft's log matching would keep it as the new leader's entry at that index.
/// </summary>
public sealed class NotLeaderOfTermException(long entryTerm, long currentTerm, long leaderTerm)
    : InvalidOperationException($"this node is not the leader of term {entryTerm} (its term is {currentTerm}; it last led term {leaderTerm}): the entry was not appended")
{
    /// <summary>The term the refused entry carried.</summary>
    public long EntryTerm { get; } = entryTerm;
}
