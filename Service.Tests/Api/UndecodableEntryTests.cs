using System.Net;
using System.Net.Http.Json;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace GeoLedger.Tests.Api;

/// <summary>
/// A committed entry no node can decode (a command format this version does not know, as a newer node
/// could write in a rolling upgrade) is applied as a no-op: counted, logged, and never a wedge. The
/// node stays ready, later writes are applied at their own revisions, and it starts again on the same
/// data folder without calling anything an integrity failure.
/// </summary>
public sealed class UndecodableEntryTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task An_entry_of_an_unknown_command_format_is_applied_as_a_counted_no_op_and_the_node_goes_on_across_a_restart()
    {
        var data = Path.Combine(folder.Path, "data");
        long unknownIndex;
        using (var factory = new LedgerFactory(dataDirectory: data))
        {
            using var client = await factory.CreateReadyClientAsync();
            (await client.PutAsJsonAsync("/v1/kv/before", new { value = 1 })).EnsureSuccessStatusCode();

            var raft = factory.Services.GetRequiredService<IRaftCluster>();
            var unknownFormat = new byte[64];
            unknownFormat[0] = 99; // the format version byte: a version this node does not know
            await raft.ReplicateAsync(unknownFormat, context: null, CancellationToken.None);
            unknownIndex = raft.AuditTrail.LastEntryIndex;

            using var after = await client.PutAsJsonAsync("/v1/kv/after", new { value = 2 });
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            var written = await after.Content.ReadFromJsonAsync<EntryAnswer>();
            Assert.Equal(unknownIndex + 1, written!.Revision);

            Assert.Equal(1, factory.Services.GetRequiredService<LedgerStateMachine>().UndecodableEntries);
            using var ready = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal(1, Operate.PrometheusText.Parse(await client.GetStringAsync("/metrics")).Single("geoledger_log_undecodable_entries_total"));
        }

        using (var restarted = new LedgerFactory(dataDirectory: data))
        {
            using var client = await restarted.CreateReadyClientAsync();
            Assert.Equal("1", await ValueAsync(client, "before"));
            Assert.Equal("2", await ValueAsync(client, "after"));
            (await client.PutAsJsonAsync("/v1/kv/after-restart", new { value = 3 })).EnsureSuccessStatusCode();
        }
    }

    private static async Task<string> ValueAsync(HttpClient client, string key)
    {
        using var response = await client.GetAsync($"/v1/kv/{key}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("value").GetRawText();
    }

    private sealed record EntryAnswer(string Key, long Revision);
}
