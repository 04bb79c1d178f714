using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node stopped and started again on the same data folder comes back with everything it acknowledged.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task A_node_restarted_on_its_data_folder_serves_every_acknowledged_write()
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string?> { ["Ledger:SnapshotInterval"] = "4" }; // snapshots and a log tail both
        var revisions = new Dictionary<string, long>();
        using (var first = new LedgerFactory(settings, folder.Path))
        {
            using var client = await first.CreateReadyClientAsync();
            for (var i = 0; i < 10; i++)
            {
                using var put = await client.PutAsync($"/v1/kv/restart/{i}", Value($"{i}"));
                revisions[$"restart/{i}"] = await EntryAsync(put, $"restart/{i}", $"{i}");
            }

            using var delete = await client.DeleteAsync("/v1/kv/restart/3");
            delete.EnsureSuccessStatusCode();
            revisions.Remove("restart/3");
        }

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(folder.Path, "snapshots"), "*-*"));
        using var second = new LedgerFactory(settings, folder.Path);
        using var reopened = await second.CreateReadyClientAsync();

        foreach (var (key, revision) in revisions)
        {
            using var get = await reopened.GetAsync($"/v1/kv/{key}");
            Assert.Equal(revision, await EntryAsync(get, key, key[^1..]));
        }

        using var deleted = await reopened.GetAsync("/v1/kv/restart/3");
        await ProblemAsync(deleted, System.Net.HttpStatusCode.NotFound);
        using var next = await reopened.PutAsync("/v1/kv/restart/new", Value("true"));
        Assert.True(await EntryAsync(next, "restart/new", "true") > revisions.Values.Max());
    }
}
