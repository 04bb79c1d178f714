using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The restart path: snapshots every few entries, a new state machine and log on the same folders, a damaged snapshot refused.</summary>
public sealed class SnapshotRestoreTests : IDisposable
{
    private const long Interval = 5;
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Writes 12 entries after the leader's no-op at 1 (snapshots at 5 and 10) mixing puts, overwrites, a delete and a failed CAS; returns the expected state.</summary>
    private async Task<Dictionary<string, (string Value, long Revision)>> WriteHistoryAsync(long snapshotInterval)
    {
        var expected = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        await using var log = await OneNodeLog.OpenAsync(folder.Path, snapshotInterval);
        for (var i = 0; i < 8; i++)
        {
            var (index, _) = await log.ApplyAsync(LedgerCommand.Put($"key/{i}", Json($"{{\"i\":{i}}}")));
            expected[$"key/{i}"] = ($"{{\"i\":{i}}}", index);
        }

        var (overwritten, _) = await log.ApplyAsync(LedgerCommand.Put("key/1", Json("\"changed\"")));
        expected["key/1"] = ("\"changed\"", overwritten);
        await log.ApplyAsync(LedgerCommand.Delete("key/2"));
        expected.Remove("key/2");
        var (_, failed) = await log.ApplyAsync(LedgerCommand.Put("key/3", Json("\"lost\""), new Precondition(PreconditionKind.RevisionEquals, 1_000)));
        Assert.Equal(ApplyStatus.PreconditionFailed, failed.Status);
        var (last, _) = await log.ApplyAsync(LedgerCommand.Put("ünïcode/ключ", Json("[1,2,3]")));
        expected["ünïcode/ключ"] = ("[1,2,3]", last);
        Assert.Equal(13, last);
        return expected;
    }

    private static void AssertState(Dictionary<string, (string Value, long Revision)> expected, LedgerStore store)
    {
        var actual = store.List("", null, 1000).Items.ToDictionary(e => e.Key, e => (Encoding.UTF8.GetString(e.Value), e.Revision), StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(13, store.Revision);
    }

    private FileInfo NewestSnapshot() =>
        OneNodeLog.SnapshotsOf(folder.Path).EnumerateFiles("*-*").MaxBy(f => long.Parse(f.Name.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture))
        ?? throw new InvalidOperationException("No snapshot was written");

    [Fact]
    public async Task A_restarted_state_machine_restores_the_snapshot_and_replays_the_rest_of_the_log()
    {
        var expected = await WriteHistoryAsync(Interval);
        Assert.Equal("10-1", NewestSnapshot().Name);

        await using var reopened = await OneNodeLog.OpenAsync(folder.Path, Interval);

        Assert.Equal(10, (reopened.Log.Snapshot?.Index ?? 0)); // restored from the snapshot, not replayed from index 1
        AssertState(expected, reopened.Store);
        var (next, result) = await reopened.ApplyAsync(LedgerCommand.Put("key/0", Json("0"), new Precondition(PreconditionKind.RevisionEquals, expected["key/0"].Revision)));
        Assert.Equal(ApplyStatus.Applied, result.Status);
        Assert.Equal(15, next); // after the reopened node's own no-op at 14
    }

    [Fact]
    public async Task A_restarted_state_machine_without_a_snapshot_replays_the_whole_log()
    {
        var expected = await WriteHistoryAsync(snapshotInterval: 1_000);
        Assert.Empty(OneNodeLog.SnapshotsOf(folder.Path).EnumerateFiles("*-*"));

        await using var reopened = await OneNodeLog.OpenAsync(folder.Path, 1_000);

        Assert.Equal(0, (reopened.Log.Snapshot?.Index ?? 0));
        AssertState(expected, reopened.Store);
    }

    [Fact]
    public async Task A_snapshot_with_one_byte_flipped_is_refused_with_a_message_naming_the_folder()
    {
        await WriteHistoryAsync(Interval);
        var snapshot = NewestSnapshot();
        var bytes = await File.ReadAllBytesAsync(snapshot.FullName);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(snapshot.FullName, bytes);

        var e = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => OneNodeLog.OpenAsync(folder.Path, Interval));

        Assert.Equal(snapshot.FullName, e.SnapshotPath);
        Assert.Contains($"folder '{OneNodeLog.SnapshotsOf(folder.Path).FullName}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_snapshot_is_refused()
    {
        await WriteHistoryAsync(Interval);
        var snapshot = NewestSnapshot();
        using (var stream = new FileStream(snapshot.FullName, FileMode.Open, FileAccess.Write))
            stream.SetLength(stream.Length - 3);

        var e = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => OneNodeLog.OpenAsync(folder.Path, Interval));

        Assert.Contains(OneNodeLog.SnapshotsOf(folder.Path).FullName, e.Message, StringComparison.Ordinal);
    }
}
