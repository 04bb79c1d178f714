using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>The article's <c>--members:N</c> / <c>--hostAddressHint</c> command line mapped onto a node config.</summary>
public sealed class ArticleCommandLineTests
{
    private static readonly string[] ThreeLoopbackMembers = ["http://127.0.0.1:5080", "http://127.0.0.2:5080", "http://127.0.0.3:5080"];

    [Fact]
    public void The_member_whose_host_is_the_hint_and_whose_port_is_the_urls_port_is_self()
    {
        var config = NodeConfigLoader.FromArticleCommandLine(ThreeLoopbackMembers, "127.0.0.2", 5080, 3262);

        Assert.Equal("node-1", config.Self);
        Assert.Equal(["node-0", "node-1", "node-2"], config.Members.Select(m => m.Id));
        Assert.Equal(
            ["http://127.0.0.1:3262/", "http://127.0.0.2:3262/", "http://127.0.0.3:3262/"],
            config.Members.Select(m => m.Raft.AbsoluteUri));
        Assert.Equal(ThreeLoopbackMembers.Select(u => new Uri(u)), config.Members.Select(m => m.Public));
        Assert.All(config.Members, m => Assert.Equal("default", m.Region));
    }

    [Fact]
    public void No_match_is_refused_with_a_message_naming_the_hint()
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine(ThreeLoopbackMembers, "127.0.0.9", 5080, 3262)).Message;

        Assert.Contains("--hostAddressHint '127.0.0.9'", message, StringComparison.Ordinal);
        Assert.Contains("matches none", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_matching_host_on_another_port_is_no_match()
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine(ThreeLoopbackMembers, "127.0.0.2", 80, 3262)).Message;

        Assert.Contains("--hostAddressHint", message, StringComparison.Ordinal);
        Assert.Contains("port 80", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_matches_are_refused_with_a_message_naming_the_hint()
    {
        string[] members = ["http://10.0.0.1:80", "http://10.0.0.1:80/again", "http://10.0.0.2:80"];

        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine(members, "10.0.0.1", 80, 3262)).Message;

        Assert.Contains("--hostAddressHint '10.0.0.1'", message, StringComparison.Ordinal);
        Assert.Contains("matches several", message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_members_are_refused()
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine([], "127.0.0.1", 5080, 3262)).Message;

        Assert.Contains("--members", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_that_is_not_an_http_url_is_refused_and_its_index_named()
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine(["http://127.0.0.1:5080", "127.0.0.2"], "127.0.0.1", 5080, 3262)).Message;

        Assert.Contains("--members:1", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_raft_port_equal_to_the_client_port_is_refused()
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.FromArticleCommandLine(ThreeLoopbackMembers, "127.0.0.1", 5080, 5080)).Message;

        Assert.Contains("must differ", message, StringComparison.Ordinal);
    }
}
