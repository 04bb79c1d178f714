using System.Text.Json;
using GeoLedger.Cluster;

namespace GeoLedger.Api;

/// <summary><c>POST /v1/cluster/members</c> and <c>DELETE /v1/cluster/members/{id}</c>: one membership change at a time, on the leader.</summary>
internal static class MembershipApi
{
    private const string Shape = """Send {"id": "...", "region": "...", "raft": "http://host:port/", "public": "http://host:port/"}.""";

    /// <summary>Adds a member; answers once it votes, with the voting members.</summary>
    public static async Task<IResult> PostAsync(HttpContext context, MembershipChanges changes)
    {
        var (body, error) = await RequestReader.ReadJsonBodyAsync(context, 16 * 1024, Shape, length =>
            Problems.TooLarge("Body too large: send one member's description", $"The body is {(length is { } l ? $"{l} bytes" : "longer than that")}; at most 16384 bytes."));
        if (error is not null)
            return error;
        ClusterMember member;
        using (body)
        {
            if (ReadMember(body!.Document.RootElement) is not { } read)
                return Problems.BadRequest("Describe the member with id, region, raft and public", Shape);
            member = read;
        }

        try
        {
            NodeConfigLoader.Validate(new NodeConfig(member.Id, [member]));
        }
        catch (NodeConfigException e)
        {
            return Problems.BadRequest("Fix the member's description", e.Message);
        }

        return Answer(context, await changes.AddAsync(member, context.RequestAborted));
    }

    /// <summary>Removes a member; answers once it no longer votes, with the voting members.</summary>
    public static async Task<IResult> DeleteAsync(HttpContext context, string id, MembershipChanges changes) =>
        Answer(context, await changes.RemoveAsync(id, context.RequestAborted));

    private static IResult Answer(HttpContext context, MembershipOutcome outcome) => outcome switch
    {
        MembershipOutcome.Done done => ClusterApi.MemberList(done.Members),
        MembershipOutcome.NotLeader notLeader => Problems.RedirectToLeader(context, notLeader.Leader),
        MembershipOutcome.Invalid invalid => Problems.BadRequest(invalid.Title, invalid.Detail),
        MembershipOutcome.NotFound notFound => TypedResults.Problem($"No member has the id '{notFound.Id}'; GET /v1/cluster lists them.", statusCode: StatusCodes.Status404NotFound, title: "No such member: check the id"),
        MembershipOutcome.Conflict conflict => TypedResults.Problem(conflict.Detail, statusCode: StatusCodes.Status409Conflict, title: conflict.Title),
        MembershipOutcome.Unavailable unavailable => Problems.Unavailable(context, unavailable.Title, unavailable.Detail),
        MembershipOutcome.Unknown unknown => TypedResults.Problem(
            $"The change was started but its commit was not seen ({unknown.Reason}). Send the same request again: a change already made answers 200.",
            statusCode: StatusCodes.Status504GatewayTimeout,
            title: "Outcome unknown: send the same request again"),
        _ => throw new InvalidOperationException($"Unexpected membership outcome {outcome}"),
    };

    private static ClusterMember? ReadMember(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return null;
        string? Text(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        Uri? Url(string name) => Text(name) is { } t && Uri.TryCreate(t, UriKind.Absolute, out var u) ? u : null;
        return Text("id") is { } id && Text("region") is { } region && Url("raft") is { } raft && Url("public") is { } @public
            ? new ClusterMember(id, region, raft, @public)
            : null;
    }
}
