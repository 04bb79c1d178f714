using System.Buffers;
using System.Buffers.Binary;
using DotNext.Buffers;
using DotNext.IO;
using DotNext.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>
/// The voting members' Raft endpoints, kept in the data folder (<c>members.raft</c>) so that a membership
/// change survives a restart. .NEXT writes it when a configuration entry is applied (its version is the
/// entry's index) or arrives with a snapshot. On the first start it is seeded from the node config; after
/// that the stored list wins over the node config.
/// </summary>
public sealed class MemberListStorage : PersistentClusterConfigurationStorage<UriEndPoint>
{
    /// <summary>The file name inside the data folder.</summary>
    public const string FileName = "members.raft";

    private MemberListStorage(string path)
        : base(path)
    {
    }

    /// <inheritdoc/>
    protected override IEqualityComparer<UriEndPoint> Comparer => UriEndPoint.Comparer;

    /// <summary>
    /// Opens the stored list in <paramref name="dataDirectory"/>, seeding it with <paramref name="initial"/>
    /// (version 0) when there is none yet.
    /// </summary>
    /// <returns>The storage, whether it was seeded now, and the list it holds.</returns>
    public static (MemberListStorage Storage, bool Seeded, IReadOnlyList<Uri> Stored, long Version) Open(string dataDirectory, IReadOnlyList<Uri> initial)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var storage = new MemberListStorage(path);
        var seeded = false;
        if (!File.Exists(path))
        {
            storage.SeedAsync(initial).AsTask().GetAwaiter().GetResult();
            seeded = true;
        }

        var (members, version) = storage.ReadAsync().AsTask().GetAwaiter().GetResult();
        return (storage, seeded, members, version);
    }

    /// <summary>The stored endpoints and their version (the index of the configuration entry that set them; 0 when seeded).</summary>
    public async ValueTask<(IReadOnlyList<Uri> Members, long Version)> ReadAsync(CancellationToken token = default)
    {
        var (configuration, version) = await ((IClusterConfigurationStorage)this).LoadConfigurationAsync(token).ConfigureAwait(false);
        var members = configuration is IClusterConfiguration<UriEndPoint> list ? list.Members.Select(m => m.Uri).ToList() : [];
        return (members, version);
    }

    private async ValueTask SeedAsync(IReadOnlyList<Uri> initial)
    {
        // The configuration's own encoding: a little-endian count, then each endpoint in .NEXT's endpoint format.
        var writer = new ArrayBufferWriter<byte>();
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), initial.Count);
        writer.Advance(4);
        foreach (var member in initial)
            writer.WriteEndPoint(new UriEndPoint(member));
        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync(new BinaryTransferObject(writer.WrittenMemory), 0).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Encode(UriEndPoint address, ref BufferWriterSlim<byte> writer) => writer.WriteEndPoint(address);

    /// <inheritdoc/>
    protected override UriEndPoint Decode(ref SequenceReader reader) =>
        reader.ReadEndPoint() as UriEndPoint ?? throw new InvalidDataException($"{FileName} holds an endpoint that is not a URI");
}
