using System.Buffers.Binary;
using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The snapshot file format on its own: round trip, and every way a file can be refused.</summary>
public sealed class SnapshotFormatTests
{
    private const string Source = "/data/node-0/snapshots/10-1";

    private static byte[] Write(IReadOnlyList<LedgerEntry> entries, long revision, long index = 0, long term = 1)
    {
        using var output = new MemoryStream();
        var sorted = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        SnapshotFormat.Write(output, new StoreVersion(KeyTree.FromSorted(sorted), revision), index == 0 ? revision : index, term, CancellationToken.None);
        return output.ToArray();
    }

    private static List<LedgerEntry> Entries(SnapshotContent content) => content.State.Keys.All().ToList();

    private static LedgerEntry Entry(string key, string json, long revision) => new(key, Encoding.UTF8.GetBytes(json), revision);

    private static void AssertSame(IReadOnlyList<LedgerEntry> expected, IReadOnlyList<LedgerEntry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(expected[i].Value, actual[i].Value);
            Assert.Equal(expected[i].Revision, actual[i].Revision);
        }
    }

    private static byte[] Sample() =>
        Write([Entry("a", "1", 3), Entry("a/b", "{\"x\":[true,null]}", 7), Entry("ключ", "\"значение\"", 9)], 42);

    [Fact]
    public void Entries_revision_index_and_term_round_trip()
    {
        LedgerEntry[] entries = [Entry("a", "1", 3), Entry("a/b", "{\"x\":[true,null]}", 7), Entry("empty", "", 11), Entry("ключ", "\"значение\"", 9)];

        var content = SnapshotFormat.Parse(Write(entries, 42, index: 45, term: 7), Source);

        Assert.Equal((45, 7, 42), (content.Index, content.Term, content.State.Revision));
        AssertSame(entries, Entries(content));
    }

    [Fact]
    public void An_empty_store_round_trips()
    {
        var content = SnapshotFormat.Parse(Write([], 5), Source);

        Assert.Empty(Entries(content));
        Assert.Equal(5, content.State.Revision);
    }

    [Fact]
    public void A_snapshot_written_in_several_chunks_round_trips()
    {
        // Larger than the writer's chunk, so the checksum covers several chunks.
        var big = "\"" + new string('x', 300 * 1024) + "\"";
        LedgerEntry[] entries = [Entry("big/1", big, 1), Entry("big/2", big, 2), Entry("small", "0", 3)];

        var content = SnapshotFormat.Parse(Write(entries, 3), Source);

        Assert.Equal(3, content.State.Revision);
        AssertSame(entries, Entries(content));
    }

    [Fact]
    public async Task Read_reads_a_file_written_by_Write()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "3-1");
        await File.WriteAllBytesAsync(path, Write([Entry("k", "true", 3)], 3));

        var content = SnapshotFormat.Read(path, 3, 1);

        Assert.Equal(3, content.State.Revision);
        Assert.Equal("k", Assert.Single(Entries(content)).Key);
    }

    [Fact]
    public void A_version_1_snapshot_written_before_GeoLedger_had_its_own_log_is_still_read()
    {
        // Version 1: magic, version, revision, count, entries, XxHash64 trailer; index and term come from the file name.
        var body = new List<byte>();
        body.AddRange("GLSNAP"u8.ToArray());
        body.AddRange(BitConverter.GetBytes(1));
        body.AddRange(BitConverter.GetBytes(9L));
        body.AddRange(BitConverter.GetBytes(1L));
        body.AddRange(BitConverter.GetBytes(1));
        body.AddRange("k"u8.ToArray());
        body.AddRange(BitConverter.GetBytes(4));
        body.AddRange("true"u8.ToArray());
        body.AddRange(BitConverter.GetBytes(9L));
        var bytes = body.Concat(Checksum(body.ToArray())).ToArray();

        var content = SnapshotFormat.Parse(bytes, Source, nameIndex: 10, nameTerm: 3);

        Assert.Equal((10, 3, 9), (content.Index, content.Term, content.State.Revision));
        var entry = Assert.Single(Entries(content));
        Assert.Equal(("k", "true", 9L), (entry.Key, Encoding.UTF8.GetString(entry.Value), entry.Revision));
    }

    [Fact]
    public void A_missing_file_is_refused_as_unreadable()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "3-1");

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Read(path, 3, 1));

        Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
        Assert.Contains($"folder '{folder.Path}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(20)]
    public void A_truncated_snapshot_is_refused(int missingBytes)
    {
        var bytes = Sample();

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(bytes.AsSpan(0, bytes.Length - missingBytes), Source));

        Assert.Equal(Source, e.SnapshotPath);
        Assert.Contains("folder '/data/node-0/snapshots'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_shorter_than_the_header_is_refused()
    {
        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse("GLSNAP"u8, Source));

        Assert.Contains("not a GeoLedger snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_version_is_refused_and_named()
    {
        var bytes = Sample();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), SnapshotFormat.Version + 1);

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(bytes, Source));

        Assert.Contains($"format version {SnapshotFormat.Version + 1}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_magic_is_refused()
    {
        var bytes = Sample();
        bytes[0] = (byte)'X';

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(bytes, Source));

        Assert.Contains("not a GeoLedger snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_single_flipped_byte_after_the_version_is_refused()
    {
        var bytes = Sample();
        for (var i = 10; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x20;
            Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(damaged, Source));
        }
    }

    [Fact]
    public void Entries_that_overrun_the_body_are_refused_even_with_a_valid_checksum()
    {
        var bytes = Sample();
        var body = bytes.AsSpan(0, bytes.Length - 8).ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(34), 4); // one more entry than the body holds
        var resealed = body.Concat(Checksum(body)).ToArray();

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(resealed, Source));

        Assert.Contains("runs past the end", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Checksum(byte[] body)
    {
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, System.IO.Hashing.XxHash64.HashToUInt64(body));
        return trailer;
    }
}
