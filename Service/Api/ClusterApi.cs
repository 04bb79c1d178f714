using System.Text.Json;
using GeoLedger.Auth;
using GeoLedger.Cluster;
using GeoLedger.OpenApi;

namespace GeoLedger.Api;

/// <summary><c>/v1/cluster</c>: the node's view of the cluster.</summary>
internal static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/cluster", GetCluster).RequireAuthorization(AccessPolicies.Read).DescribeCluster();
        routes.MapPost("/v1/cluster/members", MembershipApi.PostAsync).RequireAuthorization(AccessPolicies.Admin).DescribeAddMember();
        routes.MapDelete("/v1/cluster/members/{id}", MembershipApi.DeleteAsync).RequireAuthorization(AccessPolicies.Admin).DescribeRemoveMember();
        return routes;
    }

    /// <summary>The node's view of the cluster.</summary>
    public static IResult GetCluster(ClusterView view, LeaderPreference preference, MembershipWatcher membership) => new JsonResult(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("node");
        WriteMember(w, view.Self);
        w.WritePropertyName("leader");
        if (view.Leader is { } leader)
            WriteMember(w, leader);
        else
            w.WriteNullValue();
        w.WriteNumber("term", view.Term);
        w.WriteNumber("commitIndex", view.CommitIndex);
        w.WriteNumber("appliedIndex", view.AppliedIndex);
        w.WriteNumber("durableIndex", view.DurableIndex);
        w.WriteStartArray("members");
        // Read after the commit index: a commit never passes what a majority held when it was made.
        var leading = view.Leader?.Id == view.Self.Id;
        foreach (var (member, status) in view.Members())
            WriteMember(w, member, status, leading ? view.MatchIndexOf(member) : null);
        w.WriteEndArray();
        LeaderPreferenceJson.Write(w, view.Config, preference);
        // "removed": this node is not a voting member of the newest member list it knows (see MembershipWatcher).
        w.WriteString("membership", membership.RemovedBecause is null ? "voter" : "removed");
        w.WriteNumber("membersVersion", membership.Version);
        w.WriteEndObject();
    });

    /// <summary>Writes the voting members as <c>{members: [...]}</c> (the answer to a membership change).</summary>
    internal static IResult MemberList(IReadOnlyList<ClusterMember> members) => new JsonResult(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("members");
        foreach (var member in members)
            WriteMember(w, member);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteMember(Utf8JsonWriter w, ClusterMember member, string? status = null, long? matchIndex = null)
    {
        w.WriteStartObject();
        w.WriteString("id", member.Id);
        w.WriteString("region", member.Region);
        w.WriteString("public", member.Public.AbsoluteUri);
        w.WriteString("raft", member.Raft.AbsoluteUri);
        w.WriteNumber("priority", member.Priority);
        if (status is not null)
        {
            w.WriteString("status", status);
            if (matchIndex is { } match)
                w.WriteNumber("matchIndex", match);
            else
                w.WriteNull("matchIndex");
        }

        w.WriteEndObject();
    }
}
