using GeoLedger.Storage;

namespace GeoLedger.Cluster;

/// <summary>
/// The id, region and URLs of every member this node has known, by Raft endpoint. .NEXT's member list holds
/// only Raft endpoints; a member added at runtime is described here (from the request that added it, or by
/// asking the member itself), and kept in the data folder (<c>members.json</c>, the node config's format)
/// so that a restarted node still names it. The node config's entries win over stored ones.
/// </summary>
public sealed class MemberDirectory
{
    /// <summary>The file name inside the data folder.</summary>
    public const string FileName = "members.json";

    private readonly Lock gate = new();
    private readonly string path;
    private readonly string self;
    private List<ClusterMember> known; // guarded by gate; replaced, never changed in place

    /// <summary>Loads <c>members.json</c> from <paramref name="dataDirectory"/> (when present), then the node config's members over it.</summary>
    public MemberDirectory(string dataDirectory, NodeConfig config)
    {
        path = Path.Combine(dataDirectory, FileName);
        self = config.Self;
        known = [];
        if (File.Exists(path))
        {
            try
            {
                known = [.. NodeConfigLoader.Load(path).Members];
            }
            catch (NodeConfigException)
            {
                known = []; // a damaged description file only costs names until the members are asked again
            }
        }

        foreach (var member in config.Members)
            known = With(known, member);
        Save();
    }

    /// <summary>Every member known, in no particular order.</summary>
    public IReadOnlyList<ClusterMember> All
    {
        get
        {
            lock (gate)
                return known;
        }
    }

    /// <summary>The member whose Raft endpoint is <paramref name="raft"/> (scheme, host and port compared), or null.</summary>
    public ClusterMember? Find(Uri raft)
    {
        var key = ReplicationProbe.MemberKey(raft);
        lock (gate)
            return known.FirstOrDefault(m => ReplicationProbe.MemberKey(m.Raft) == key);
    }

    /// <summary>The member with this id, or null.</summary>
    public ClusterMember? FindById(string id)
    {
        lock (gate)
            return known.FirstOrDefault(m => m.Id == id);
    }

    /// <summary>
    /// Records <paramref name="member"/>, replacing whatever had its id, Raft endpoint or public endpoint
    /// (a member re-added elsewhere, an endpoint reused), and stores the list.
    /// </summary>
    public void Learn(ClusterMember member)
    {
        lock (gate)
        {
            if (known.Contains(member))
                return;
            known = With(known, member);
        }

        Save();
    }

    private static List<ClusterMember> With(List<ClusterMember> members, ClusterMember member) =>
    [
        .. members.Where(m => m.Id != member.Id
            && !NodeConfigLoader.SameEndpoint(m.Raft, member.Raft)
            && !NodeConfigLoader.SameEndpoint(m.Public, member.Public)),
        member,
    ];

    private void Save()
    {
        List<ClusterMember> snapshot;
        lock (gate)
            snapshot = known;
        if (snapshot.All(m => m.Id != self))
            return; // this node's own entry was replaced by a member reusing its endpoints: nothing valid to store
        var temp = path + ".tmp";
        lock (path)
        {
            File.WriteAllText(temp, NodeConfigLoader.Render(new NodeConfig(self, snapshot)));
            File.Move(temp, path, overwrite: true);
        }
    }
}
