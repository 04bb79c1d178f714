using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>Valid stack configs to start each test from.</summary>
internal static class TestConfigs
{
    public static readonly string SshKey = "ssh-ed25519 " + Convert.ToBase64String(Enumerable.Range(0, 51).Select(i => (byte)i).ToArray()) + " test@geoledger";

    public const string ContentHashA = "3fa9c1d2e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff";
    public const string ContentHashB = "008fedc82504d04c261eb6c93bc2a6ed1314f1978525d9aa766449c24e39ca76";
    public const string ArchiveShaA = "aa11223344556677889900aabbccddeeff00112233445566778899aabbccddee";
    public const string ArchiveShaB = "bb11223344556677889900aabbccddeeff00112233445566778899aabbccddee";

    public static readonly string[] ThreeRegions = ["eastus", "westus", "centralus"];
    public static readonly string[] FiveRegions = ["eastus", "westus", "centralus", "northeurope", "westeurope"];

    /// <summary>Layouts (regions, nodes per region) the service accepts today: at most <see cref="ClusterPlan.MaxMembers"/> members.</summary>
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (var (regions, nodes) in new[] { (3, 1), (3, 2), (5, 1), (5, 2) })
        {
            if (regions * nodes <= ClusterPlan.MaxMembers)
                data.Add(regions, nodes);
        }

        return data;
    }

    public static StackConfig Valid(IReadOnlyList<string>? regions = null, int nodesPerRegion = 1) => new()
    {
        Regions = regions ?? ThreeRegions,
        ImageLocation = "eastus",
        NodesPerRegion = nodesPerRegion,
        SshPublicKey = SshKey,
        ClientCidrs = ["203.0.113.0/24", "198.51.100.7/32"],
        ApiToken = "token-0123456789abcdef",
        ReadToken = "reader-0123456789abcdef",
        ClusterSecret = "secret-0123456789abcdef",
        AdminToken = "admin-0123456789abcdef",
        SubscriptionId = "00000000-1111-2222-3333-444444444444",
        StackName = "dev",
        ImageContentHash = ContentHashA,
        ArchiveSha256 = ArchiveShaA,
    };

    /// <summary>A valid config that serves plain http (tls off).</summary>
    public static StackConfig Plain() => Valid() with { Tls = "off" };
}
