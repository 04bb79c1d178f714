using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>Applying commands through a real write-ahead log: puts, preconditions, deletes, revisions, non-command entries.</summary>
public sealed class LedgerStateMachineTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(LedgerEntry? entry) => entry is null ? "<absent>" : Encoding.UTF8.GetString(entry.Value);

    [Fact]
    public async Task Put_stores_the_value_at_the_revision_of_its_log_index()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);

        var (index, result) = await log.ApplyAsync(LedgerCommand.Put("a", Json("{\"n\":1}")));

        Assert.Equal(ApplyStatus.Applied, result.Status);
        Assert.Equal(index, result.Index);
        Assert.Equal(("a", "{\"n\":1}", index), (result.Entry!.Key, Text(result.Entry), result.Entry.Revision));
        var stored = log.Store.Get("a");
        Assert.NotNull(stored);
        Assert.Equal("{\"n\":1}", Text(stored));
        Assert.Equal(index, stored.Revision);
        Assert.Equal(index, log.Store.Revision);
        Assert.Equal(1, log.Store.Count);
    }

    [Fact]
    public async Task Every_revision_is_the_log_index_of_the_entry_that_last_changed_the_key()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);

        var (first, _) = await log.ApplyAsync(LedgerCommand.Put("a", Json("1")));
        var (second, _) = await log.ApplyAsync(LedgerCommand.Put("b", Json("2")));
        var (third, _) = await log.ApplyAsync(LedgerCommand.Put("a", Json("3")));

        Assert.Equal([first + 1, first + 2], new[] { second, third });
        Assert.Equal(third, log.Store.Get("a")!.Revision);
        Assert.Equal(second, log.Store.Get("b")!.Revision);
        Assert.Equal("3", Text(log.Store.Get("a")));
        Assert.Equal(log.Log.AppliedIndex, log.Store.Revision);
    }

    [Fact]
    public async Task Compare_and_set_with_the_current_revision_replaces_the_value()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (created, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"old\"")));

        var (index, result) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"new\""), new Precondition(PreconditionKind.RevisionEquals, created)));

        Assert.Equal(ApplyStatus.Applied, result.Status);
        Assert.Equal("\"new\"", Text(log.Store.Get("k")));
        Assert.Equal(index, log.Store.Get("k")!.Revision);
    }

    [Fact]
    public async Task Compare_and_set_with_a_stale_revision_fails_reports_the_current_entry_and_changes_nothing()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (created, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"v1\"")));
        var (updated, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"v2\"")));

        var (index, result) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"v3\""), new Precondition(PreconditionKind.RevisionEquals, created)));

        Assert.Equal(ApplyStatus.PreconditionFailed, result.Status);
        Assert.Equal(index, result.Index);
        Assert.NotNull(result.Entry);
        Assert.Equal(updated, result.Entry.Revision);
        Assert.Equal("\"v2\"", Text(result.Entry));
        Assert.Equal("\"v2\"", Text(log.Store.Get("k")));
        Assert.Equal(updated, log.Store.Get("k")!.Revision);
    }

    [Fact]
    public async Task Compare_and_set_on_an_absent_key_fails_and_creates_nothing()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);

        var (_, result) = await log.ApplyAsync(LedgerCommand.Put("k", Json("1"), new Precondition(PreconditionKind.RevisionEquals, 1)));

        Assert.Equal(ApplyStatus.PreconditionFailed, result.Status);
        Assert.Null(result.Entry);
        Assert.Null(log.Store.Get("k"));
        Assert.Equal(0, log.Store.Count);
    }

    [Fact]
    public async Task Create_only_succeeds_once_and_then_fails_without_changing_the_value()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var absent = new Precondition(PreconditionKind.Absent);

        var (created, first) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"first\""), absent));
        var (_, second) = await log.ApplyAsync(LedgerCommand.Put("k", Json("\"second\""), absent));

        Assert.Equal(ApplyStatus.Applied, first.Status);
        Assert.Equal(ApplyStatus.PreconditionFailed, second.Status);
        Assert.Equal(created, second.Entry!.Revision);
        Assert.Equal("\"first\"", Text(log.Store.Get("k")));
        Assert.Equal(created, log.Store.Get("k")!.Revision);
    }

    [Fact]
    public async Task If_match_any_updates_an_existing_key_and_refuses_an_absent_one()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var exists = new Precondition(PreconditionKind.Exists);
        await log.ApplyAsync(LedgerCommand.Put("present", Json("1")));

        var (updated, onPresent) = await log.ApplyAsync(LedgerCommand.Put("present", Json("2"), exists));
        var (_, onAbsent) = await log.ApplyAsync(LedgerCommand.Put("absent", Json("2"), exists));

        Assert.Equal(ApplyStatus.Applied, onPresent.Status);
        Assert.Equal(updated, log.Store.Get("present")!.Revision);
        Assert.Equal("2", Text(log.Store.Get("present")));
        Assert.Equal(ApplyStatus.PreconditionFailed, onAbsent.Status);
        Assert.Null(log.Store.Get("absent"));
    }

    [Fact]
    public async Task Delete_removes_an_existing_key()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        await log.ApplyAsync(LedgerCommand.Put("k", Json("1")));
        await log.ApplyAsync(LedgerCommand.Put("other", Json("2")));

        var (index, result) = await log.ApplyAsync(LedgerCommand.Delete("k"));

        Assert.Equal(ApplyStatus.Applied, result.Status);
        Assert.Null(result.Entry);
        Assert.Null(log.Store.Get("k"));
        Assert.Equal(["other"], log.Store.List("", null, 10).Items.Select(e => e.Key));
        Assert.Equal(index, log.Store.Revision);
    }

    [Fact]
    public async Task Delete_of_an_absent_key_reports_not_found_and_changes_no_key()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (kept, _) = await log.ApplyAsync(LedgerCommand.Put("other", Json("2")));

        var (index, result) = await log.ApplyAsync(LedgerCommand.Delete("k"));

        Assert.Equal(ApplyStatus.NotFound, result.Status);
        Assert.Equal(index, result.Index);
        Assert.Equal(kept, log.Store.Get("other")!.Revision);
        Assert.Equal(1, log.Store.Count);
    }

    [Fact]
    public async Task Delete_with_a_stale_revision_fails_and_keeps_the_key()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (created, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("1")));

        var (_, result) = await log.ApplyAsync(LedgerCommand.Delete("k", new Precondition(PreconditionKind.RevisionEquals, created + 100)));

        Assert.Equal(ApplyStatus.PreconditionFailed, result.Status);
        Assert.Equal(created, result.Entry!.Revision);
        Assert.Equal("1", Text(log.Store.Get("k")));
    }

    [Fact]
    public async Task A_configuration_entry_advances_the_store_revision_without_touching_keys()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (written, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("1")));

        // The payload is not a ledger command: decoding it would throw, so it must not be decoded.
        var index = await log.AppendAndApplyAsync(new ConfigurationEntry(Json("membership"), log.Term));

        Assert.Equal(written + 1, index);
        Assert.Equal(index, log.Store.Revision);
        Assert.Equal(written, log.Store.Get("k")!.Revision);
        Assert.Equal(1, log.Store.Count);
        var (next, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("2")));
        Assert.Equal(index + 1, next);
        Assert.Equal(next, log.Store.Get("k")!.Revision);
    }

    [Fact]
    public async Task An_entry_with_an_empty_payload_advances_the_store_revision_without_touching_keys()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (written, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("1")));

        // A command id makes the WAL hand the empty entry to the state machine (as it does a configuration entry once
        // a configuration storage has taken its payload).
        var index = await log.AppendAndApplyAsync(new BinaryLogEntry { Content = ReadOnlyMemory<byte>.Empty, Term = log.Term, CommandId = 7 });

        Assert.Equal(index, log.Store.Revision);
        Assert.Equal(written, log.Store.Get("k")!.Revision);
        Assert.Equal(1, log.Store.Count);
    }

    [Fact]
    public async Task A_leader_no_op_entry_changes_no_key_and_the_next_command_still_gets_its_own_index()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (written, _) = await log.ApplyAsync(LedgerCommand.Put("k", Json("1")));

        // What a new leader appends: no payload at all. It is applied without changing the store.
        var noOp = await log.LeadNewTermAsync();
        Assert.Equal(noOp, log.Log.AppliedIndex);
        Assert.Equal(written, log.Store.Revision); // never handed to the state machine, so the store's revision stays behind
        Assert.Equal(written, log.Store.Get("k")!.Revision);
        Assert.Equal(1, log.Store.Count);

        var (next, result) = await log.ApplyAsync(LedgerCommand.Put("j", Json("2")));
        Assert.Equal(noOp + 1, next);
        Assert.Equal(next, result.Entry!.Revision);
        Assert.Equal(next, log.Store.Revision);
    }
}
