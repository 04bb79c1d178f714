using System.Text.Json;

namespace GeoLedger.Cluster;

/// <summary>
/// What a node says about itself on its Raft port (behind the cluster secret): who it is, and the voting
/// members it has stored with their version. The leader asks a node before adding it (is it up, is it who
/// the request says); every node asks a member it cannot name; a node that hears no leader asks the others
/// whether it was removed.
/// </summary>
/// <param name="Self">The node's own entry.</param>
/// <param name="Version">The version of its stored member list (the index of the configuration entry that set it).</param>
/// <param name="Members">The Raft endpoints of the voting members it has stored.</param>
public sealed record MemberInfo(ClusterMember Self, long Version, IReadOnlyList<Uri> Members)
{
    /// <summary>The path served on the Raft port.</summary>
    public const string Path = "/geoledger/member";

    /// <summary>Serves this node's <see cref="MemberInfo"/>.</summary>
    public static async Task ServeAsync(HttpContext context)
    {
        var topology = context.RequestServices.GetRequiredService<NodeTopology>();
        var storage = context.RequestServices.GetRequiredService<MemberListStorage>();
        var (members, version) = await storage.ReadAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteStartObject("self");
        w.WriteString("id", topology.Self.Id);
        w.WriteString("region", topology.Self.Region);
        w.WriteString("raft", topology.Self.Raft.AbsoluteUri);
        w.WriteString("public", topology.Self.Public.AbsoluteUri);
        w.WriteEndObject();
        w.WriteNumber("version", version);
        w.WriteStartArray("members");
        foreach (var member in members)
            w.WriteStringValue(member.AbsoluteUri);
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Asks the node at <paramref name="raft"/>.</summary>
    /// <exception cref="HttpRequestException">The node did not answer, or answered an error.</exception>
    /// <exception cref="JsonException">The answer is not a member description.</exception>
    public static async Task<MemberInfo> AskAsync(HttpClient http, Uri raft, CancellationToken token)
    {
        using var response = await http.GetAsync(new Uri(raft, Path), token).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false));
        var root = doc.RootElement;
        var self = root.GetProperty("self");
        var member = new ClusterMember(
            self.GetProperty("id").GetString() ?? throw new JsonException("no id"),
            self.GetProperty("region").GetString() ?? throw new JsonException("no region"),
            new Uri(self.GetProperty("raft").GetString() ?? throw new JsonException("no raft")),
            new Uri(self.GetProperty("public").GetString() ?? throw new JsonException("no public")));
        var members = root.GetProperty("members").EnumerateArray().Select(e => new Uri(e.GetString() ?? throw new JsonException("an empty member"))).ToList();
        return new MemberInfo(member, root.GetProperty("version").GetInt64(), members);
    }
}
