using System.Buffers.Binary;
using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The snapshot file format on its own: round trip, and every way a file can be refused.</summary>
public sealed class SnapshotFormatTests
{
    private const string Source = "/data/node-0/snapshots/10-1";

    private static async Task<byte[]> WriteAsync(IReadOnlyList<LedgerEntry> entries, long revision)
    {
        using var output = new MemoryStream();
        var chunks = 0;
        await SnapshotFormat.WriteAsync(entries, revision, (chunk, token) =>
        {
            chunks++;
            output.Write(chunk.Span);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        Assert.True(chunks >= 2, "the body and the checksum trailer are separate chunks");
        return output.ToArray();
    }

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

    private static async Task<byte[]> SampleAsync() =>
        await WriteAsync([Entry("a", "1", 3), Entry("a/b", "{\"x\":[true,null]}", 7), Entry("ключ", "\"значение\"", 9)], 42);

    [Fact]
    public async Task Entries_and_revision_round_trip()
    {
        LedgerEntry[] entries = [Entry("a", "1", 3), Entry("a/b", "{\"x\":[true,null]}", 7), Entry("ключ", "\"значение\"", 9), Entry("empty", "", 11)];

        var (read, revision) = SnapshotFormat.Parse(await WriteAsync(entries, 42), Source);

        Assert.Equal(42, revision);
        AssertSame(entries, read);
    }

    [Fact]
    public async Task An_empty_store_round_trips()
    {
        var (read, revision) = SnapshotFormat.Parse(await WriteAsync([], 5), Source);

        Assert.Empty(read);
        Assert.Equal(5, revision);
    }

    [Fact]
    public async Task A_snapshot_written_in_several_chunks_round_trips()
    {
        // Larger than the writer's flush threshold, so the checksum covers several chunks.
        var big = "\"" + new string('x', 300 * 1024) + "\"";
        LedgerEntry[] entries = [Entry("big/1", big, 1), Entry("big/2", big, 2), Entry("small", "0", 3)];

        var (read, revision) = SnapshotFormat.Parse(await WriteAsync(entries, 3), Source);

        Assert.Equal(3, revision);
        AssertSame(entries, read);
    }

    [Fact]
    public async Task ReadAsync_reads_a_file_written_by_WriteAsync()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "3-1");
        await File.WriteAllBytesAsync(path, await WriteAsync([Entry("k", "true", 3)], 3));

        var (read, revision) = await SnapshotFormat.ReadAsync(path, CancellationToken.None);

        Assert.Equal(3, revision);
        Assert.Equal("k", Assert.Single(read).Key);
    }

    [Fact]
    public async Task A_missing_file_is_refused_as_unreadable()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "3-1");

        var e = await Assert.ThrowsAsync<SnapshotCorruptedException>(async () => await SnapshotFormat.ReadAsync(path, CancellationToken.None));

        Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
        Assert.Contains($"folder '{folder.Path}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(20)]
    public async Task A_truncated_snapshot_is_refused(int missingBytes)
    {
        var bytes = await SampleAsync();

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
    public async Task A_wrong_version_is_refused_and_named()
    {
        var bytes = await SampleAsync();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), SnapshotFormat.Version + 1);

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(bytes, Source));

        Assert.Contains($"format version {SnapshotFormat.Version + 1}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_magic_is_refused()
    {
        var bytes = await SampleAsync();
        bytes[0] = (byte)'X';

        var e = Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(bytes, Source));

        Assert.Contains("not a GeoLedger snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_single_flipped_byte_after_the_version_is_refused()
    {
        var bytes = await SampleAsync();
        for (var i = 10; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x20;
            Assert.Throws<SnapshotCorruptedException>(() => SnapshotFormat.Parse(damaged, Source));
        }
    }

    [Fact]
    public async Task Entries_that_overrun_the_body_are_refused_even_with_a_valid_checksum()
    {
        var bytes = await SampleAsync();
        var body = bytes.AsSpan(0, bytes.Length - 8).ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(18), 4); // one more entry than the body holds
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
