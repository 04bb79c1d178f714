using System.Text.Json;

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
public sealed record Member(string Id, string Region, string Public, string Raft);

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
public sealed record MemberStatus(string Id, string Region, string Public, string Raft, string Status, long? MatchIndex);

/// <summary>The answering node's view of the cluster.</summary>
/// <param name="Node">The answering node.</param>
/// <param name="Leader">The leader, or null during an election.</param>
/// <param name="Term">The current Raft term.</param>
/// <param name="CommitIndex">The last log index this node knows committed.</param>
/// <param name="AppliedIndex">The last log index this node applied.</param>
/// <param name="DurableIndex">Every entry up to this index is on this node's disk.</param>
/// <param name="Members">Every member with its status.</param>
public sealed record ClusterState(Member Node, Member? Leader, long Term, long CommitIndex, long AppliedIndex, long DurableIndex, IReadOnlyList<MemberStatus> Members);

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
