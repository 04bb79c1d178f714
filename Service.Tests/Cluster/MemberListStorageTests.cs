using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

public sealed class MemberListStorageTests
{
    private static readonly Uri A = new("http://127.0.0.1:4001/");
    private static readonly Uri B = new("http://127.0.0.1:4002/");
    private static readonly Uri C = new("http://127.0.0.1:4003/");

    [Fact]
    public async Task The_first_start_seeds_the_list_and_later_starts_keep_the_stored_one()
    {
        using var folder = new TempFolder();
        var (first, seeded, stored, version) = MemberListStorage.Open(folder.Path, [A, B, C]);
        first.Dispose();
        Assert.True(seeded);
        Assert.Equal(0, version);
        Assert.Equal([A, B, C], stored.OrderBy(u => u.Port));

        // A node config listing fewer members does not replace what is stored.
        var (again, seededAgain, storedAgain, _) = MemberListStorage.Open(folder.Path, [A]);
        using (again)
        {
            Assert.False(seededAgain);
            Assert.Equal([A, B, C], storedAgain.OrderBy(u => u.Port));
            var (members, v) = await again.ReadAsync();
            Assert.Equal(3, members.Count);
            Assert.Equal(0, v);
        }
    }

    [Fact]
    public void The_directory_names_members_learned_at_runtime_after_a_restart()
    {
        using var folder = new TempFolder();
        var self = new ClusterMember("node-0", "local", A, new Uri("http://127.0.0.1:5001/"));
        var config = new NodeConfig("node-0", [self]);
        var learned = new ClusterMember("node-1", "west", B, new Uri("http://127.0.0.1:5002/"));
        new MemberDirectory(folder.Path, config).Learn(learned);

        var reopened = new MemberDirectory(folder.Path, config);

        Assert.Equal(learned, reopened.Find(new Uri("http://127.0.0.1:4002/")));
        Assert.Equal(self, reopened.FindById("node-0"));
        Assert.Null(reopened.Find(C));
    }
}
