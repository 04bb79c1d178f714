using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>The node config file: the schema of DESIGN.md accepted, every broken rule refused with a message naming it.</summary>
public sealed class NodeConfigLoaderTests
{
    /// <summary>The example of DESIGN.md, verbatim.</summary>
    private const string DesignExample = """
        {
          "self": "eastus-0",
          "members": [
            { "id": "eastus-0", "region": "eastus",
              "raft": "http://10.1.0.4:3262/",
              "public": "http://gl-eastus-0-3fa9c1.eastus.cloudapp.azure.com/" },
            { "id": "westus-0", "region": "westus",
              "raft": "http://10.2.0.4:3262/",
              "public": "http://gl-westus-0-3fa9c1.westus.cloudapp.azure.com/" }
          ]
        }
        """;

    private static string Config(string self, params string[] members) =>
        $$"""{ "self": "{{self}}", "members": [ {{string.Join(", ", members)}} ] }""";

    private static string Member(string id, string raft, string @public, string region = "r") =>
        $$"""{ "id": "{{id}}", "region": "{{region}}", "raft": "{{raft}}", "public": "{{@public}}" }""";

    private static string Refused(string json) => Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Parse(json)).Message;

    [Fact]
    public void The_design_example_is_accepted()
    {
        var config = NodeConfigLoader.Parse(DesignExample);

        Assert.Equal("eastus-0", config.Self);
        Assert.Equal(["eastus-0", "westus-0"], config.Members.Select(m => m.Id));
        var self = config.SelfMember;
        Assert.Equal("eastus", self.Region);
        Assert.Equal(new Uri("http://10.1.0.4:3262/"), self.Raft);
        Assert.Equal(new Uri("http://gl-eastus-0-3fa9c1.eastus.cloudapp.azure.com/"), self.Public);
        Assert.Equal("westus", config.FindByRaft(new Uri("http://10.2.0.4:3262/"))!.Region);
    }

    [Fact]
    public void Unknown_fields_are_ignored_at_every_level()
    {
        var json = """
            {
              "version": 7, "self": "a", "comment": { "any": ["thing"] },
              "members": [
                { "id": "a", "region": "r1", "raft": "http://127.0.0.1:3262/", "public": "http://127.0.0.1:5080/", "zone": 2, "tags": null }
              ]
            }
            """;

        var config = NodeConfigLoader.Parse(json);

        Assert.Equal("a", config.SelfMember.Id);
        Assert.Equal("r1", config.SelfMember.Region);
    }

    [Fact]
    public void Render_then_parse_round_trips_byte_for_byte()
    {
        var rendered = NodeConfigLoader.Render(NodeConfigLoader.Parse(DesignExample));

        var again = NodeConfigLoader.Render(NodeConfigLoader.Parse(rendered));

        Assert.Equal(rendered, again);
        Assert.DoesNotContain('\r', rendered);
        Assert.EndsWith("}\n", rendered, StringComparison.Ordinal);
        var parsed = NodeConfigLoader.Parse(rendered);
        Assert.Equal(NodeConfigLoader.Parse(DesignExample).Members, parsed.Members);
        Assert.Equal("eastus-0", parsed.Self);
    }

    [Fact]
    public void Join_round_trips_and_must_be_a_boolean()
    {
        var json = """{ "self": "a", "members": [ { "id": "a", "region": "r", "raft": "http://127.0.0.1:7001/", "public": "http://127.0.0.1:5001/" } ], "join": true }""";

        var config = NodeConfigLoader.Parse(json);

        Assert.True(config.Join);
        Assert.Contains("\"join\": true", NodeConfigLoader.Render(config));
        Assert.Equal(NodeConfigLoader.Render(config), NodeConfigLoader.Render(NodeConfigLoader.Parse(NodeConfigLoader.Render(config))));
        Assert.DoesNotContain("join", NodeConfigLoader.Render(config with { Join = false }));
        Assert.Contains("'join' must be true or false", Refused(json.Replace("\"join\": true", "\"join\": \"yes\"")));
    }

    [Fact]
    public void Load_names_the_file_in_its_messages()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "node.json");
        File.WriteAllText(path, Config("nobody", Member("a", "http://127.0.0.1:3262/", "http://127.0.0.1:5080/")));

        var invalid = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Load(path)).Message;
        var missing = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Load(path + ".absent")).Message;

        Assert.Contains(path, invalid, StringComparison.Ordinal);
        Assert.Contains("'self'", invalid, StringComparison.Ordinal);
        Assert.Contains(path + ".absent", missing, StringComparison.Ordinal);
        Assert.Contains("Ledger:NodeConfig", missing, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reads_a_rendered_file()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "node.json");
        File.WriteAllText(path, NodeConfigLoader.Render(NodeConfigLoader.Parse(DesignExample)));

        Assert.Equal("eastus-0", NodeConfigLoader.Load(path).Self);
    }

    [Theory]
    [InlineData("{ \"self\": \"a\", ")]
    [InlineData("not json")]
    [InlineData("")]
    public void Invalid_json_is_refused(string json)
    {
        Assert.Contains("not valid JSON", Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_top_level_that_is_not_an_object_is_refused()
    {
        Assert.Contains("top level must be an object", Refused("[]"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_self_is_refused()
    {
        var json = """{ "members": [ { "id": "a", "region": "r", "raft": "http://127.0.0.1:3262/", "public": "http://127.0.0.1:5080/" } ] }""";

        Assert.Contains("'self'", Refused(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_not_among_the_members_is_refused_and_the_members_are_listed()
    {
        var message = Refused(Config("c", Member("a", "http://10.0.0.1:3262/", "http://a.example/"), Member("b", "http://10.0.0.2:3262/", "http://b.example/")));

        Assert.Contains("'self' is 'c'", message, StringComparison.Ordinal);
        Assert.Contains("a, b", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_members_are_refused()
    {
        Assert.Contains("'members' is empty", Refused(Config("a")), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_members_are_refused()
    {
        Assert.Contains("'members' must be an array", Refused("""{ "self": "a" }"""), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("region")]
    [InlineData("raft")]
    [InlineData("public")]
    public void A_member_missing_a_field_is_refused_and_the_field_named(string field)
    {
        var member = new Dictionary<string, string>
        {
            ["id"] = "a", ["region"] = "r", ["raft"] = "http://10.0.0.1:3262/", ["public"] = "http://a.example/",
        };
        member.Remove(field);
        var json = $$"""{ "self": "a", "members": [ {{System.Text.Json.JsonSerializer.Serialize(member)}} ] }""";

        var message = Refused(json);

        Assert.Contains("members[0]", message, StringComparison.Ordinal);
        Assert.Contains($"'{field}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_ids_are_refused()
    {
        var message = Refused(Config("a", Member("a", "http://10.0.0.1:3262/", "http://a.example/"), Member("a", "http://10.0.0.2:3262/", "http://b.example/")));

        Assert.Contains("duplicate id 'a'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_raft_endpoints_are_refused_whatever_the_spelling()
    {
        var message = Refused(Config("a", Member("a", "http://10.0.0.1:3262/", "http://a.example/"), Member("b", "HTTP://10.0.0.1:3262", "http://b.example/")));

        Assert.Contains("duplicate raft endpoint", message, StringComparison.Ordinal);
        Assert.Contains("a, b", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_public_endpoints_are_refused_even_with_different_paths()
    {
        var message = Refused(Config("a", Member("a", "http://10.0.0.1:3262/", "http://gl.example/a/"), Member("b", "http://10.0.0.2:3262/", "http://GL.example:80/b/")));

        Assert.Contains("duplicate public endpoint", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://10.0.0.1:3262/", "http://a.example/", "'raft' must be an http or https URL")]
    [InlineData("http://10.0.0.1:3262/", "file:///tmp/x", "'public' must be an http or https URL")]
    [InlineData("10.0.0.1:3262", "http://a.example/", "'raft'")]
    [InlineData("http//10.0.0.1", "http://a.example/", "not an absolute URL")]
    [InlineData("http://10.0.0.1:3262/?x=1", "http://a.example/", "must not carry a query")]
    [InlineData("http://10.0.0.1:3262/", "http://user:pw@a.example/", "must not carry a query, fragment or user info")]
    public void A_url_that_is_not_plain_http_is_refused(string raft, string @public, string expected)
    {
        Assert.Contains(expected, Refused(Config("a", Member("a", raft, @public))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_raft_url_with_a_path_is_refused()
    {
        var message = Refused(Config("a", Member("a", "http://10.0.0.1:3262/raft", "http://a.example/")));

        Assert.Contains("'raft' must have the path '/'", message, StringComparison.Ordinal);
        Assert.Contains("/raft", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raft_url_without_a_trailing_slash_is_accepted()
    {
        var config = NodeConfigLoader.Parse(Config("a", Member("a", "http://10.0.0.1:3262", "http://a.example/")));

        Assert.Equal("/", config.SelfMember.Raft.AbsolutePath);
    }

    [Fact]
    public void Raft_and_public_on_the_same_port_for_self_are_refused()
    {
        var message = Refused(Config("a", Member("a", "http://10.0.0.1:8080/", "http://a.example:8080/")));

        Assert.Contains("port 8080", message, StringComparison.Ordinal);
        Assert.Contains("must differ", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node 1")]
    [InlineData("node/1")]
    [InlineData("nöde")]
    [InlineData("a:b")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Bad_id_characters_are_refused(string id)
    {
        var message = Refused(Config(id, Member(id, "http://10.0.0.1:3262/", "http://a.example/")));

        Assert.Contains($"member id '{id}' is invalid", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.b_c-0")]
    [InlineData("X")]
    public void Ids_of_letters_digits_dots_underscores_and_dashes_are_accepted(string id)
    {
        Assert.Equal(id, NodeConfigLoader.Parse(Config(id, Member(id, "http://10.0.0.1:3262/", "http://a.example/"))).Self);
    }
}
