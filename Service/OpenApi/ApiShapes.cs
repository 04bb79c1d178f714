using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeoLedger.OpenApi;

// The JSON the API answers and accepts, as the OpenAPI document describes it. The handlers write these shapes with
// Utf8JsonWriter (values are copied as stored, never re-parsed); these records only name the shapes for the document,
// and the OpenAPI drift test checks every answer of a running node against them.

/// <summary>A key with its value and revision.</summary>
/// <param name="Key">The key (1..1024 bytes of UTF-8 without control characters; may contain <c>/</c>).</param>
/// <param name="Value">The value: any JSON value, as written.</param>
/// <param name="Revision">The revision of the write that last changed the key (also the <c>ETag</c>).</param>
public sealed record Entry(string Key, JsonElement Value, long Revision);

/// <summary>One page of a listing.</summary>
/// <param name="Items">The entries, in ordinal key order.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record EntryPage(IReadOnlyList<Entry> Items, string? Next);

/// <summary>The body of a write.</summary>
/// <param name="Value">The new value: any JSON value.</param>
public sealed record ValueBody(JsonElement Value);

/// <summary>A member of the cluster as the node config lists it.</summary>
/// <param name="Id">The member id.</param>
/// <param name="Region">Its region.</param>
/// <param name="Public">The URL clients use.</param>
/// <param name="Raft">Its Raft endpoint (private network).</param>
/// <param name="Priority">Its leader preference from the node config (higher is preferred; 0 when absent).</param>
public sealed record Member(string Id, string Region, string Public, string Raft, int Priority);

/// <summary>A member with its status as the answering node sees it.</summary>
/// <param name="Id">The member id.</param>
/// <param name="Region">Its region.</param>
/// <param name="Public">The URL clients use.</param>
/// <param name="Raft">Its Raft endpoint (private network).</param>
/// <param name="Status"><c>available</c>, <c>unavailable</c> or <c>unknown</c>.</param>
/// <param name="MatchIndex">
/// From the leader only (null elsewhere): the index up to which the member's log matches the leader's and
/// is on its disk (the leader's own flushed index for itself).
/// </param>
/// <param name="Priority">Its leader preference from the node config (higher is preferred; 0 when absent).</param>
public sealed record MemberStatus(string Id, string Region, string Public, string Raft, string Status, long? MatchIndex, int Priority);

/// <summary>A leadership transfer to a preferred member that the answering node started or took part in.</summary>
/// <param name="From">The leader that handed over.</param>
/// <param name="To">The member it handed over to.</param>
/// <param name="StartedAt">When it began.</param>
/// <param name="Outcome"><c>in progress</c>, <c>succeeded</c> or <c>failed</c>.</param>
/// <param name="TookMs">Milliseconds until the target led or the transfer gave up; null while in progress.</param>
/// <param name="Reason">Why it failed; null otherwise.</param>
public sealed record LeaderTransferState(string From, string To, DateTimeOffset StartedAt, string Outcome, long? TookMs, string? Reason);

/// <summary>The answering node's view of the cluster.</summary>
/// <param name="Node">The answering node.</param>
/// <param name="Leader">The leader, or null during an election.</param>
/// <param name="Term">The current Raft term.</param>
/// <param name="CommitIndex">The last log index this node knows committed.</param>
/// <param name="AppliedIndex">The last log index this node applied.</param>
/// <param name="DurableIndex">Every entry up to this index is on this node's disk.</param>
/// <param name="Members">Every voting member with its status.</param>
/// <param name="PreferredLeader">The member of highest priority (the first listed among equals), or null when no member has one.</param>
/// <param name="LastTransfer">The last leadership transfer this node started or took part in, or null.</param>
/// <param name="Membership"><c>voter</c>, or <c>removed</c> when this node is not in the newest member list it knows (it then answers the API with 410).</param>
/// <param name="MembersVersion">The version of the member list this node stored (the index of the configuration entry that set it; 0 for the node config's).</param>
public sealed record ClusterState(Member Node, Member? Leader, long Term, long CommitIndex, long AppliedIndex, long DurableIndex, IReadOnlyList<MemberStatus> Members, string? PreferredLeader, LeaderTransferState? LastTransfer, string Membership, long MembersVersion);

/// <summary>The voting members after a membership change.</summary>
/// <param name="Members">Every voting member.</param>
public sealed record MemberList(IReadOnlyList<Member> Members);

/// <summary><c>/healthz</c>: the process answers.</summary>
/// <param name="Status">Always <c>alive</c>.</param>
public sealed record Alive(string Status);

/// <summary>
/// <c>/readyz</c>: a leader is known and this node applied all it knows committed. The leader and the applied index
/// are left out for a request without a read token when reads need one.
/// </summary>
/// <param name="Status">Always <c>ready</c>.</param>
/// <param name="Leader">The leader's member id.</param>
/// <param name="AppliedIndex">The last log index this node applied.</param>
public sealed record Readiness(string Status, string? Leader = null, long? AppliedIndex = null);

/// <summary>The original article's answer.</summary>
/// <param name="Leader">The leader's public URL, or null.</param>
/// <param name="Current">The answering node's public URL.</param>
/// <param name="Id">The id.</param>
/// <param name="State">The stored state, or null for an id never written.</param>
public sealed record ArticleState(string? Leader, string Current, int Id, string? State);

/// <summary>The original article's write.</summary>
/// <param name="State">The new state (a string).</param>
public sealed record ArticleBody(string State);

/// <summary>The body of <c>POST /v1/txn</c>: if every compare holds, the success operations run, else the failure ones.</summary>
/// <param name="Compare">Conditions on keys as they are before the transaction (all must hold; none: success runs).</param>
/// <param name="Success">Operations run when every compare holds, in order.</param>
/// <param name="Failure">Operations run otherwise, in order.</param>
public sealed record TxnRequest(IReadOnlyList<TxnCompareBody>? Compare = null, IReadOnlyList<TxnOperationBody>? Success = null, IReadOnlyList<TxnOperationBody>? Failure = null);

/// <summary>What a compare looks at.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TxnCompareTarget>))]
public enum TxnCompareTarget
{
    /// <summary>The key's revision (0 when absent).</summary>
    [JsonStringEnumMemberName("revision")]
    Revision,

    /// <summary>The key's value (never holds for an absent key).</summary>
    [JsonStringEnumMemberName("value")]
    Value,

    /// <summary>Whether the key exists (value true or false; result equal or not_equal).</summary>
    [JsonStringEnumMemberName("exists")]
    Exists,
}

/// <summary>The relation a compare requires between the key's side and the given value.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TxnCompareResult>))]
public enum TxnCompareResult
{
    /// <summary>Equal (values: the same minified JSON text).</summary>
    [JsonStringEnumMemberName("equal")]
    Equal,

    /// <summary>Not equal.</summary>
    [JsonStringEnumMemberName("not_equal")]
    NotEqual,

    /// <summary>Greater (values: two numbers, or two strings in ordinal order; anything else does not hold).</summary>
    [JsonStringEnumMemberName("greater")]
    Greater,

    /// <summary>Less.</summary>
    [JsonStringEnumMemberName("less")]
    Less,
}

/// <summary>One condition of a transaction.</summary>
/// <param name="Key">The key compared.</param>
/// <param name="Target">What is compared.</param>
/// <param name="Result">The relation that must hold.</param>
/// <param name="Value">A revision (a whole number), true or false (exists), or any JSON value (value).</param>
public sealed record TxnCompareBody(string Key, TxnCompareTarget Target, TxnCompareResult Result, JsonElement Value);

/// <summary>One operation: exactly one of put, delete or get.</summary>
/// <param name="Put">Set a key's value.</param>
/// <param name="Delete">Remove a key (nothing happens when it is absent).</param>
/// <param name="Get">Read a key as the transaction's earlier operations left it.</param>
public sealed record TxnOperationBody(TxnPut? Put = null, TxnKey? Delete = null, TxnKey? Get = null);

/// <summary>A put in a transaction.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The new value: any JSON value.</param>
public sealed record TxnPut(string Key, JsonElement Value);

/// <summary>A delete or get in a transaction.</summary>
/// <param name="Key">The key.</param>
public sealed record TxnKey(string Key);

/// <summary>The answer of <c>POST /v1/txn</c>.</summary>
/// <param name="Succeeded">True when every compare held (the success branch ran); false when the failure branch ran.</param>
/// <param name="Revision">The log index of the transaction's entry: the revision of every key it wrote.</param>
/// <param name="Results">One result per operation of the branch that ran, in order.</param>
public sealed record TxnAnswer(bool Succeeded, long Revision, IReadOnlyList<TxnOperationAnswer> Results);

/// <summary>What one operation did: exactly one of put, delete or get.</summary>
/// <param name="Put">After a put.</param>
/// <param name="Delete">After a delete.</param>
/// <param name="Get">After a get.</param>
public sealed record TxnOperationAnswer(TxnPutAnswer? Put = null, TxnDeleteAnswer? Delete = null, TxnGetAnswer? Get = null);

/// <summary>A put's result.</summary>
/// <param name="Key">The key.</param>
/// <param name="Revision">Its new revision (the transaction's).</param>
public sealed record TxnPutAnswer(string Key, long Revision);

/// <summary>A delete's result.</summary>
/// <param name="Key">The key.</param>
/// <param name="Deleted">Whether the key existed.</param>
public sealed record TxnDeleteAnswer(string Key, bool Deleted);

/// <summary>A get's result.</summary>
/// <param name="Key">The key.</param>
/// <param name="Found">Whether the key exists; value and revision are left out when not.</param>
public sealed record TxnGetAnswer(string Key, bool Found)
{
    /// <summary>The value (when found).</summary>
    public JsonElement Value { get; init; }

    /// <summary>The key's revision (when found).</summary>
    public long Revision { get; init; }
}
