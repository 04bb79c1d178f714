using System.Text;
using GeoLedger.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Storage;

/// <summary>The log's files on their own: append, read back, roll segments, truncate, compact, reopen, and what a crash can leave.</summary>
public sealed class SegmentedLogTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly SegmentedLogOptions SmallSegments = new() { SegmentBytes = 4096 };
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private string Directory => folder.Path;

    private SegmentedLog Open(long snapshotIndex = 0, SegmentedLogOptions? options = null) =>
        SegmentedLog.Open(Directory, snapshotIndex, options ?? SmallSegments, NullLogger.Instance);

    private static LogEntryInput Entry(long term, string text) => new(term, LogEntryFlags.None, 0, Encoding.UTF8.GetBytes(text));

    private static void AppendMany(SegmentedLog log, long from, int count, long term = 1, int size = 100)
    {
        for (var i = 0; i < count; i++)
            log.Append(from + i, [Entry(term, $"{from + i}:" + new string('x', size))]);
    }

    private static List<StoredEntry> ReadAll(SegmentedLog log)
    {
        var entries = new List<StoredEntry>();
        if (log.LastIndex >= log.FirstIndex)
            log.Read(log.FirstIndex, log.LastIndex, long.MaxValue, entries);
        return entries;
    }

    private static string Text(StoredEntry entry) => Encoding.UTF8.GetString(entry.Payload.Span);

    private static async Task FlushAsync(SegmentedLog log)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await log.WaitForDurableAsync(log.LastIndex, timeout.Token);
    }

    private string[] Segments() => System.IO.Directory.GetFiles(Directory, "*.seg").Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public async Task Entries_read_back_with_their_terms_flags_and_payloads_after_a_flush_and_a_reopen()
    {
        using (var log = Open())
        {
            log.Append(1, [Entry(1, "a"), new LogEntryInput(2, LogEntryFlags.Configuration | LogEntryFlags.HasCommandId, 7, "cfg"u8.ToArray()), Entry(2, "")]);
            await FlushAsync(log);
            Assert.Equal(3, log.DurableIndex);
        }

        using var reopened = Open();
        var entries = ReadAll(reopened);
        Assert.Equal([1L, 2L, 3L], entries.Select(e => e.Index));
        Assert.Equal([1L, 2L, 2L], entries.Select(e => e.Term));
        Assert.Equal(["a", "cfg", ""], entries.Select(Text));
        Assert.Equal(LogEntryFlags.Configuration | LogEntryFlags.HasCommandId, entries[1].Flags);
        Assert.Equal(7, entries[1].CommandId);
        Assert.True(reopened.TryGetTerm(2, out var term) && term == 2);
        Assert.Equal(3, reopened.DurableIndex);
    }

    [Fact]
    public async Task Many_entries_roll_over_several_segments_and_read_back_in_order()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 300);
            await FlushAsync(log);
            Assert.True(Segments().Length >= 5, $"only {Segments().Length} segments for 300 records of 140 bytes in 4 KiB segments");
        }

        using var reopened = Open();
        var entries = ReadAll(reopened);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), entries.Select(e => e.Index));
        Assert.All(entries, e => Assert.StartsWith($"{e.Index}:", Text(e), StringComparison.Ordinal));
    }

    [Fact]
    public void A_read_stops_after_the_byte_budget_but_returns_at_least_one_entry()
    {
        using var log = Open();
        AppendMany(log, 1, 20, size: 500);

        var some = new List<StoredEntry>();
        Assert.Equal(3, log.Read(1, 20, 1200, some));
        var one = new List<StoredEntry>();
        Assert.Equal(1, log.Read(5, 20, 1, one));
        Assert.Equal(5, one[0].Index);
    }

    /// <summary>The array a payload is a slice of: the same array as the one appended means it came from memory.</summary>
    private static byte[] ArrayOf(ReadOnlyMemory<byte> payload) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    [Fact]
    public async Task Retained_entries_are_read_from_memory_beside_entries_read_from_disk_with_the_same_metadata()
    {
        using var log = Open();
        var kept = Enumerable.Range(1, 5).Select(i => new LogEntryInput(3, LogEntryFlags.HasCommandId, 40 + i, Encoding.UTF8.GetBytes($"kept {i}"))).ToArray();
        log.Append(1, kept.AsSpan(0, 3), retain: true);
        log.Append(4, [Entry(3, "from disk 4")]);
        log.Append(5, kept.AsSpan(4, 1), retain: true);
        await FlushAsync(log);

        var entries = ReadAll(log);
        Assert.Equal(["kept 1", "kept 2", "kept 3", "from disk 4", "kept 5"], entries.Select(Text));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], entries.Select(e => e.Index));
        Assert.All(entries, e => Assert.Equal(3, e.Term));
        Assert.Equal([41, 42, 43, 0, 45], entries.Select(e => e.CommandId));
        Assert.Equal([true, true, true, false, true], entries.Select(e => e.Flags == LogEntryFlags.HasCommandId));
        foreach (var i in new[] { 0, 1, 2, 4 })
            Assert.Same(ArrayOf(kept[i].Payload), ArrayOf(entries[i].Payload));
        Assert.Equal(kept.Sum(e => e.Payload.Length) - kept[3].Payload.Length, log.RetainedBytes);

        // A byte budget counts entries from memory like entries from disk.
        var some = new List<StoredEntry>();
        Assert.Equal(2, log.Read(1, 5, 7, some));
    }

    [Fact]
    public void Truncation_reset_and_compaction_drop_retained_entries_so_a_replaced_entry_is_never_served_from_memory()
    {
        using var log = Open();
        for (var i = 1; i <= 300; i++)
            log.Append(i, [Entry(1, $"{i}:" + new string('x', 100))], retain: true);

        log.TruncateFrom(200);
        log.Append(200, [Entry(2, "200 in term 2")]);
        var read = new List<StoredEntry>();
        log.Read(199, 200, long.MaxValue, read);
        Assert.Equal(["199:" + new string('x', 100), "200 in term 2"], read.Select(Text));
        Assert.Equal(2, read[1].Term);
        Assert.Equal(Enumerable.Range(1, 199).Sum(i => $"{i}:".Length + 100), log.RetainedBytes); // 200..300 left with the truncation
        var held = log.RetainedBytes;

        log.CompactThrough(150);
        Assert.True(log.RetainedBytes < held, $"compaction through {log.FirstIndex - 1} kept {log.RetainedBytes} of {held} bytes in memory");
        Assert.Equal(Enumerable.Range((int)log.FirstIndex, 200 - (int)log.FirstIndex + 1).Select(i => i < 200 ? $"{i}:" + new string('x', 100) : "200 in term 2"), ReadAll(log).Select(Text));

        log.Reset(500);
        Assert.Equal(0, log.RetainedBytes);
        log.Append(500, [Entry(3, "500")], retain: true);
        Assert.Equal(["500"], ReadAll(log).Select(Text));
    }

    [Fact]
    public void Retained_entries_past_the_byte_budget_are_read_from_disk_again()
    {
        using var log = Open(options: SmallSegments with { RecentEntryBytes = 1000 });
        var payloads = Enumerable.Range(1, 5).Select(i => Encoding.UTF8.GetBytes($"{i}" + new string('y', 399))).ToArray();
        for (var i = 0; i < payloads.Length; i++)
            log.Append(i + 1, [new LogEntryInput(1, LogEntryFlags.None, 0, payloads[i])], retain: true);

        var entries = ReadAll(log);
        Assert.Equal(payloads.Select(Encoding.UTF8.GetString), entries.Select(Text));
        Assert.Equal(800, log.RetainedBytes);
        Assert.Equal([false, false, false, true, true], entries.Select((e, i) => ReferenceEquals(ArrayOf(e.Payload), payloads[i])));
    }

    [Fact]
    public void Entries_held_in_memory_count_a_fixed_cost_each_so_empty_payloads_cannot_pile_up()
    {
        var held = new RecentEntries(1000);
        for (var i = 1; i <= 100; i++)
            held.Add(new StoredEntry(i, 1, LogEntryFlags.None, 0, ReadOnlyMemory<byte>.Empty));
        Assert.InRange(held.Count, 1, 1000 / 64);
        Assert.True(held.Contains(100) && !held.Contains(1));

        var none = new RecentEntries(0);
        none.Add(new StoredEntry(1, 1, LogEntryFlags.None, 0, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(0, none.Count);
    }

    [Fact]
    public void An_append_at_any_index_but_the_next_is_refused()
    {
        using var log = Open();
        AppendMany(log, 1, 3);

        Assert.Throws<InvalidOperationException>(() => log.Append(5, [Entry(1, "gap")]));
        Assert.Throws<InvalidOperationException>(() => log.Append(3, [Entry(1, "overwrite")]));
        Assert.Equal(3, log.LastIndex);
    }

    [Fact]
    public async Task A_truncated_suffix_is_gone_for_good_and_new_entries_take_its_place_even_after_a_reopen()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 100, term: 1);
            await FlushAsync(log);
            log.TruncateFrom(40);
            Assert.Equal(39, log.LastIndex);
            Assert.Equal(39, log.DurableIndex);
            // Shorter records than the ones replaced: old bytes must never be taken for entries again.
            log.Append(40, [Entry(2, "new-40"), Entry(2, "new-41")]);
            await FlushAsync(log);
        }

        using var reopened = Open();
        var entries = ReadAll(reopened);
        Assert.Equal(41, reopened.LastIndex);
        Assert.Equal(["new-40", "new-41"], entries.Skip(39).Select(Text));
        Assert.Equal([2L, 2L], entries.Skip(39).Select(e => e.Term));
    }

    [Fact]
    public async Task Reset_empties_the_log_and_the_next_entry_continues_after_the_snapshot()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 50);
            log.Reset(101);
            Assert.Equal(100, log.LastIndex);
            log.Append(101, [Entry(3, "after")]);
            await FlushAsync(log);
        }

        using var reopened = Open(snapshotIndex: 100);
        Assert.Equal((101L, 101L), (reopened.FirstIndex, reopened.LastIndex));
        Assert.Equal("after", Text(ReadAll(reopened).Single()));
    }

    [Fact]
    public async Task Compaction_deletes_whole_segments_covered_by_the_snapshot_and_keeps_the_rest()
    {
        using var log = Open();
        AppendMany(log, 1, 300);
        await FlushAsync(log);
        var before = Segments().Length;

        log.CompactThrough(150);

        Assert.True(Segments().Length < before);
        Assert.True(log.FirstIndex is > 1 and <= 151, $"first index {log.FirstIndex}");
        Assert.Equal(300, log.LastIndex);
        Assert.Equal(Enumerable.Range((int)log.FirstIndex, 300 - (int)log.FirstIndex + 1).Select(i => (long)i), ReadAll(log).Select(e => e.Index));
    }

    [Fact]
    public async Task Opening_after_a_snapshot_past_the_whole_log_drops_every_segment()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 100);
            await FlushAsync(log);
        }

        using var reopened = Open(snapshotIndex: 120);
        Assert.Equal((121L, 120L), (reopened.FirstIndex, reopened.LastIndex));
    }

    [Fact]
    public async Task A_torn_tail_is_cut_at_the_first_bad_record_and_later_appends_never_see_old_bytes()
    {
        using (var log = Open(options: new SegmentedLogOptions { SegmentBytes = 1 << 20 }))
        {
            AppendMany(log, 1, 30);
            await FlushAsync(log);
        }

        // A crash in the middle of the last write: the record of entry 25 half written, 26-30 intact after it.
        var segment = NewestSegment();
        var (offset, length) = RecordOf(segment, 25);
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            file.Position = offset + (length / 2);
            file.Write(new byte[length / 2]);
        }

        using (var reopened = Open(options: new SegmentedLogOptions { SegmentBytes = 1 << 20 }))
        {
            Assert.Equal(24, reopened.LastIndex);
            reopened.Append(25, [Entry(2, "x")]);
            await FlushAsync(reopened);
        }

        using var again = Open(options: new SegmentedLogOptions { SegmentBytes = 1 << 20 });
        Assert.Equal(25, again.LastIndex);
        Assert.Equal("x", Text(ReadAll(again)[^1]));
    }

    [Fact]
    public async Task A_damaged_record_in_a_segment_before_the_newest_stops_the_log_naming_its_folder()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 200);
            await FlushAsync(log);
        }

        var oldest = System.IO.Directory.GetFiles(Directory, "*.seg").OrderBy(f => FirstIndexOf(f)).First(f => FirstIndexOf(f) > 0);
        var bytes = File.ReadAllBytes(oldest);
        bytes[64 + 50] ^= 0xFF;
        File.WriteAllBytes(oldest, bytes);

        var e = Assert.Throws<LogDamagedException>(() => Open());
        Assert.Contains($"folder '{Directory}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("damaged record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segments_lost_in_the_middle_stop_the_log_unless_a_snapshot_covers_them()
    {
        using (var log = Open())
        {
            AppendMany(log, 1, 300);
            await FlushAsync(log);
        }

        var ordered = System.IO.Directory.GetFiles(Directory, "*.seg").Where(f => FirstIndexOf(f) > 0).OrderBy(FirstIndexOf).ToList();
        var lost = ordered[1];
        var firstAfterLoss = FirstIndexOf(ordered[2]);
        File.Delete(lost);

        var e = Assert.Throws<LogDamagedException>(() => Open());
        Assert.Contains("missing entries", e.Message, StringComparison.Ordinal);

        // A compaction that a crash interrupted: the snapshot covers the gap, so the older segment is simply dropped.
        using var covered = Open(snapshotIndex: firstAfterLoss - 1);
        Assert.Equal(firstAfterLoss, covered.FirstIndex);
        Assert.Equal(300, covered.LastIndex);
    }

    [Fact]
    public async Task Files_the_log_creates_are_readable_by_its_user_only()
    {
        if (OperatingSystem.IsWindows())
            return;
        using var log = Open();
        AppendMany(log, 1, 10);
        await FlushAsync(log);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Directory));
        foreach (var segment in System.IO.Directory.GetFiles(Directory, "*.seg"))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(segment));
    }

    [Fact]
    public async Task Appended_records_reach_the_file_only_when_flushed_and_reads_see_them_before()
    {
        using var log = Open(options: new SegmentedLogOptions { SegmentBytes = 1 << 20 });
        log.Append(1, [Entry(1, "first-unflushed"), Entry(1, "second-unflushed")], flushLater: true);
        log.Append(3, [Entry(1, "third-unflushed")], flushLater: true);

        // Not asked to flush (flushLater): the records are in memory only, and reads find them there.
        Assert.Equal(["first-unflushed", "second-unflushed", "third-unflushed"], ReadAll(log).Select(Text));
        Assert.Equal(0, log.DurableIndex);
        Assert.DoesNotContain("unflushed", FileText(NewestSegment()));

        log.TruncateFrom(3);
        using var timeout = new CancellationTokenSource(Timeout);
        await log.FlushThroughAsync(2, timeout.Token);

        var text = FileText(NewestSegment());
        Assert.Contains("first-unflushed", text);
        Assert.Contains("second-unflushed", text);
        Assert.DoesNotContain("third", text);
        Assert.Equal(["first-unflushed", "second-unflushed"], ReadAll(log).Select(Text));
    }

    [Fact]
    public async Task A_follower_flush_runs_on_the_thread_that_waits_and_what_it_covered_survives_a_power_cut()
    {
        using (var log = Open())
        {
            var flushedOn = new List<int>();
            log.Flushed = _ => { lock (flushedOn) flushedOn.Add(Environment.CurrentManagedThreadId); };
            log.Append(1, [Entry(1, "one"), Entry(1, "two")], flushLater: true);
            using var timeout = new CancellationTokenSource(Timeout);
            var flush = log.FlushThroughAsync(2, timeout.Token);

            // No hand-off: done when the call returns, by this thread.
            Assert.True(flush.IsCompletedSuccessfully);
            Assert.Equal(2, log.DurableIndex);
            lock (flushedOn)
                Assert.Equal([Environment.CurrentManagedThreadId], flushedOn);
            await flush;
        }

        // Disposing without a flush drops what is unflushed: both entries were flushed.
        using var reopened = Open();
        Assert.Equal(["one", "two"], ReadAll(reopened).Select(Text));
    }

    [Fact]
    public async Task A_follower_flush_waits_for_the_flusher_when_the_flusher_flushes_and_ends_durable()
    {
        // A lazy flusher (test setting) takes every flush: the caller must wait for it, not return early.
        var lazy = SmallSegments with { FlushDelay = TimeSpan.FromMilliseconds(50) };
        using (var log = Open(options: lazy))
        {
            log.Append(1, [Entry(1, "one")]);
            log.Append(2, [Entry(1, "two")], flushLater: true);
            using var timeout = new CancellationTokenSource(Timeout);
            await log.FlushThroughAsync(2, timeout.Token);
            Assert.Equal(2, log.DurableIndex);
        }

        using var reopened = Open(options: lazy);
        Assert.Equal(["one", "two"], ReadAll(reopened).Select(Text));
    }

    [Fact]
    public async Task Concurrent_appenders_and_waiters_share_flushes_and_every_entry_becomes_durable()
    {
        using var log = Open(options: new SegmentedLogOptions { SegmentBytes = 1 << 20 });
        var gate = new Lock();
        var next = 1L;
        var flushes = 0;
        log.Flushed = _ => Interlocked.Increment(ref flushes);
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                long index;
                lock (gate)
                {
                    index = next++;
                    log.Append(index, [Entry(1, index.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
                }

                using var timeout = new CancellationTokenSource(Timeout);
                await log.WaitForDurableAsync(index, timeout.Token);
                Assert.True(log.DurableIndex >= index);
            }
        }));

        await Task.WhenAll(writers);

        Assert.Equal(1600, log.DurableIndex);
        Assert.True(flushes < 1600, $"{flushes} flushes for 1600 entries: flushes are not shared");
        Assert.Equal(Enumerable.Range(1, 1600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ReadAll(log).Select(Text));
    }

    private static string FileText(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(file, Encoding.Latin1);
        return reader.ReadToEnd();
    }

    private string NewestSegment() => System.IO.Directory.GetFiles(Directory, "*.seg").Where(f => FirstIndexOf(f) > 0).MaxBy(FirstIndexOf)!;

    private static long FirstIndexOf(string segment)
    {
        var header = new byte[64];
        using var file = File.OpenRead(segment);
        return file.Read(header) == 64 ? BitConverter.ToInt64(header, 24) : 0;
    }

    /// <summary>The offset and length of the record of <paramref name="index"/> in a segment.</summary>
    private static (long Offset, int Length) RecordOf(string segment, long index)
    {
        var bytes = File.ReadAllBytes(segment);
        var offset = 64;
        while (offset + LogRecord.HeaderSize <= bytes.Length)
        {
            var length = LogRecord.HeaderSize + LogRecord.PayloadLength(bytes.AsSpan(offset));
            if (BitConverter.ToInt64(bytes, offset + 8) == index)
                return (offset, length);
            offset += length;
        }

        throw new InvalidOperationException($"no record of entry {index} in {segment}");
    }
}
