using System.Text.Json;
using GeoLedger.Cluster;

namespace GeoLedger.Api;

/// <summary><c>/v1/cluster</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
internal static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/cluster", GetCluster);
        routes.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }));
        routes.MapGet("/readyz", GetReady);
        return routes;
    }

    /// <summary>The node's view of the cluster.</summary>
    public static IResult GetCluster(ClusterView view) => new JsonResult(w =>
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
        w.WriteEndObject();
    });

    /// <summary>200 when a leader is known and this node applied all it knows committed; else 503.</summary>
    public static IResult GetReady(HttpContext context, ClusterView view)
    {
        if (view.IsReady)
            return TypedResults.Ok(new { status = "ready", leader = view.Leader!.Id, appliedIndex = view.AppliedIndex });
        return Problems.Unavailable(context, "Not ready",
            view.Leader is null ? "No leader is known yet." : $"Applied {view.AppliedIndex} of {view.CommitIndex} committed entries.");
    }

    private static void WriteMember(Utf8JsonWriter w, ClusterMember member, string? status = null, long? matchIndex = null)
    {
        w.WriteStartObject();
        w.WriteString("id", member.Id);
        w.WriteString("region", member.Region);
        w.WriteString("public", member.Public.AbsoluteUri);
        w.WriteString("raft", member.Raft.AbsoluteUri);
        if (status is not null)
            w.WriteString("status", status);
        if (matchIndex is { } match)
            w.WriteNumber("matchIndex", match);
        w.WriteEndObject();
    }
}
