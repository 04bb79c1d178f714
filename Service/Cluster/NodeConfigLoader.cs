using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GeoLedger.Cluster;

/// <summary>
/// The one loader of the node config file, used by the service, the node launcher and the
/// Pulumi plan's tests; also maps the article's <c>--members:N</c> command line onto it.
/// </summary>
public static partial class NodeConfigLoader
{
    /// <summary>Reads and validates the node config file at <paramref name="path"/>.</summary>
    /// <exception cref="NodeConfigException">The file is missing, unreadable or invalid.</exception>
    public static NodeConfig Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigException($"Node config '{path}' (Ledger:NodeConfig) cannot be read: {e.Message}");
        }

        try
        {
            return Parse(json);
        }
        catch (NodeConfigException e)
        {
            throw new NodeConfigException($"Node config '{path}': {e.Message}");
        }
    }

    /// <summary>Parses and validates node config JSON. Unknown fields are ignored.</summary>
    /// <exception cref="NodeConfigException">The JSON is malformed or violates the schema.</exception>
    public static NodeConfig Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new NodeConfigException($"not valid JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new NodeConfigException("the top level must be an object with 'self' and 'members'");

            var self = RequiredString(root, "self", "the top level");
            if (!root.TryGetProperty("members", out var membersElement) || membersElement.ValueKind != JsonValueKind.Array)
                throw new NodeConfigException("'members' must be an array of {id, region, raft, public, priority (optional)}");

            var members = new List<ClusterMember>();
            var index = 0;
            foreach (var element in membersElement.EnumerateArray())
            {
                var where = $"members[{index++}]";
                if (element.ValueKind != JsonValueKind.Object)
                    throw new NodeConfigException($"{where} must be an object with id, region, raft and public");
                members.Add(new ClusterMember(
                    RequiredString(element, "id", where),
                    RequiredString(element, "region", where),
                    RequiredUrl(element, "raft", where),
                    RequiredUrl(element, "public", where),
                    OptionalPriority(element, where)));
            }

            var join = false;
            if (root.TryGetProperty("join", out var joinElement))
            {
                if (joinElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new NodeConfigException("'join' must be true or false (true: a node added to a running cluster)");
                join = joinElement.GetBoolean();
            }

            return Validate(new NodeConfig(self, members, join));
        }
    }

    /// <summary>Checks every rule of the schema; returns the config unchanged when it holds.</summary>
    /// <exception cref="NodeConfigException">A rule is broken.</exception>
    public static NodeConfig Validate(NodeConfig config)
    {
        if (config.Members.Count == 0)
            throw new NodeConfigException("'members' is empty: list every member of the cluster, this node included");

        foreach (var m in config.Members)
        {
            if (!IdPattern().IsMatch(m.Id))
                throw new NodeConfigException($"member id '{m.Id}' is invalid: use 1-63 letters, digits, '.', '_' or '-'");
            if (string.IsNullOrWhiteSpace(m.Region))
                throw new NodeConfigException($"member '{m.Id}' has an empty 'region'");
            CheckUrl(m.Raft, $"member '{m.Id}' 'raft'");
            CheckUrl(m.Public, $"member '{m.Id}' 'public'");
            if (m.Raft.AbsolutePath != "/")
                throw new NodeConfigException($"member '{m.Id}' 'raft' must have the path '/', not '{m.Raft.AbsolutePath}'");
            if (m.Priority is < 0 or > ClusterMember.MaxPriority)
                throw new NodeConfigException($"member '{m.Id}' has 'priority' {m.Priority}: use a whole number from 0 to {ClusterMember.MaxPriority} (higher is preferred as leader)");
        }

        Unique(config.Members, m => m.Id, StringComparer.Ordinal, "id");
        Unique(config.Members, m => EndpointKey(m.Raft), StringComparer.OrdinalIgnoreCase, "raft endpoint");
        Unique(config.Members, m => EndpointKey(m.Public), StringComparer.OrdinalIgnoreCase, "public endpoint");

        var self = config.Members.FirstOrDefault(m => m.Id == config.Self)
            ?? throw new NodeConfigException($"'self' is '{config.Self}', which is not the id of any member ({string.Join(", ", config.Members.Select(m => m.Id))})");
        if (self.Raft.Port == self.Public.Port)
            throw new NodeConfigException($"member '{self.Id}' uses port {self.Raft.Port} for both 'raft' and 'public': the Raft port and the client port must differ");

        return config;
    }

    /// <summary>
    /// Maps the article's command line (<c>--members:N</c> public URLs, <c>--hostAddressHint</c>,
    /// the <c>--urls</c> port) onto a node config. Each member's Raft endpoint is its host on
    /// <paramref name="raftPort"/>; ids are <c>node-N</c>; the region is <c>default</c>.
    /// </summary>
    /// <exception cref="NodeConfigException">No member, or several, match the hint and port.</exception>
    public static NodeConfig FromArticleCommandLine(IReadOnlyList<string> memberUrls, string hostAddressHint, int urlsPort, int raftPort)
    {
        if (memberUrls.Count == 0)
            throw new NodeConfigException("--members:N lists no member: give --members:0 http://IP0:PORT and so on");

        var members = new List<ClusterMember>();
        for (var i = 0; i < memberUrls.Count; i++)
        {
            if (!Uri.TryCreate(memberUrls[i], UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw new NodeConfigException($"--members:{i} '{memberUrls[i]}' is not an absolute http(s) URL");
            var raft = new UriBuilder(Uri.UriSchemeHttp, url.Host, raftPort, "/").Uri;
            members.Add(new ClusterMember($"node-{i}", "default", raft, url));
        }

        var matches = members.Where(m => HostEquals(m.Public.Host, hostAddressHint) && m.Public.Port == urlsPort).ToList();
        return matches.Count switch
        {
            1 => Validate(new NodeConfig(matches[0].Id, members)),
            0 => throw new NodeConfigException($"--hostAddressHint '{hostAddressHint}' with port {urlsPort} (from --urls) matches none of the --members URLs ({string.Join(", ", memberUrls)})"),
            _ => throw new NodeConfigException($"--hostAddressHint '{hostAddressHint}' with port {urlsPort} (from --urls) matches several --members URLs ({string.Join(", ", matches.Select(m => m.Public))})"),
        };
    }

    /// <summary>Renders a node config as the JSON the loader reads (indented, stable field order, LF line ends).</summary>
    public static string Render(NodeConfig config)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            writer.WriteStartObject();
            writer.WriteString("self", config.Self);
            writer.WriteStartArray("members");
            foreach (var m in config.Members)
            {
                writer.WriteStartObject();
                writer.WriteString("id", m.Id);
                writer.WriteString("region", m.Region);
                writer.WriteString("raft", m.Raft.AbsoluteUri);
                writer.WriteString("public", m.Public.AbsoluteUri);
                if (m.Priority != 0)
                    writer.WriteNumber("priority", m.Priority);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (config.Join)
                writer.WriteBoolean("join", true);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>True when two URLs name the same endpoint (scheme, host, port).</summary>
    public static bool SameEndpoint(Uri a, Uri b) =>
        string.Equals(EndpointKey(a), EndpointKey(b), StringComparison.OrdinalIgnoreCase);

    private static string EndpointKey(Uri u) => $"{u.Scheme}://{u.IdnHost}:{u.Port}";

    private static bool HostEquals(string host, string hint) =>
        string.Equals(host.Trim('[', ']'), hint.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);

    private static void Unique(IReadOnlyList<ClusterMember> members, Func<ClusterMember, string> key, StringComparer comparer, string what)
    {
        var duplicate = members.GroupBy(key, comparer).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new NodeConfigException($"duplicate {what} '{duplicate.Key}' (members {string.Join(", ", duplicate.Select(m => m.Id))}): each member needs its own");
    }

    private static string RequiredString(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new NodeConfigException($"{where} needs a non-empty string '{name}'");
        return value.GetString()!;
    }

    private static int OptionalPriority(JsonElement obj, string where)
    {
        if (!obj.TryGetProperty("priority", out var value) || value.ValueKind == JsonValueKind.Null)
            return 0;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var priority) || priority is < 0 or > ClusterMember.MaxPriority)
            throw new NodeConfigException($"{where} 'priority' must be a whole number from 0 to {ClusterMember.MaxPriority} (higher is preferred as leader), not {value.GetRawText()}");
        return priority;
    }

    private static Uri RequiredUrl(JsonElement obj, string name, string where)
    {
        var text = RequiredString(obj, name, where);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            throw new NodeConfigException($"{where} '{name}' is not an absolute URL: '{text}'");
        CheckUrl(url, $"{where} '{name}'");
        return url;
    }

    private static void CheckUrl(Uri url, string what)
    {
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            throw new NodeConfigException($"{what} must be an http or https URL, not '{url}'");
        if (!string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment) || !string.IsNullOrEmpty(url.UserInfo))
            throw new NodeConfigException($"{what} must not carry a query, fragment or user info: '{url}'");
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}$")]
    private static partial Regex IdPattern();
}
