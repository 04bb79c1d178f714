using System.Net;
using GeoLedger.Backup;
using GeoLedger.Tests.Api;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Backup;

/// <summary>
/// A backup taken from a node (<c>GET /v1/backup</c>) restored into a new data folder: a node started on it has exactly
/// the keys, values and revisions, and continues after the backup's revision; a damaged file or a used folder is refused.
/// </summary>
public sealed class RestoreCommandTests(NodeFixture node) : IClassFixture<NodeFixture>, IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private async Task<(byte[] Bytes, long Revision)> BackupAsync()
    {
        foreach (var (key, value) in new[] { ("restore/a", "1"), ("restore/b", "{\"x\":[1,\"ü\"]}"), ("restore/c", "null") })
        {
            using var put = await node.Client.PutAsync($"/v1/kv/{key}", Value(value));
            put.EnsureSuccessStatusCode();
        }

        using var response = await node.Client.GetAsync("/v1/backup");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var revision = long.Parse(response.Headers.GetValues(BackupApi.RevisionHeader).Single());
        Assert.Equal($"geoledger-{revision}.backup", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        return (await response.Content.ReadAsByteArrayAsync(), revision);
    }

    [Fact]
    public async Task A_node_on_a_restored_folder_has_the_backups_state_and_continues_its_revisions()
    {
        var (bytes, revision) = await BackupAsync();
        var expected = await node.ListAsync("restore/");
        var file = Path.Combine(folder.Path, "backup.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var data = Path.Combine(folder.Path, "restored");

        var content = RestoreCommand.Restore(file, data);

        Assert.Equal(revision, content.State.Revision);
        using var restored = new LedgerFactory(dataDirectory: data);
        using var client = await restored.CreateReadyClientAsync();
        using (var list = await client.GetAsync("/v1/kv?prefix=restore/&limit=1000"))
            Assert.Equal(expected, await list.Content.ReadAsStringAsync());
        using var put = await client.PutAsync("/v1/kv/restore/after", Value("2"));
        Assert.True(await EntryAsync(put, "restore/after", "2") > revision);
    }

    public static TheoryData<string> Damages => new() { "empty", "header only", "half", "last byte missing", "one byte flipped", "one byte added" };

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_or_truncated_backup_is_refused_and_nothing_is_written(string damage)
    {
        var (bytes, _) = await BackupAsync();
        var damaged = damage switch
        {
            "empty" => [],
            "header only" => bytes[..20],
            "half" => bytes[..(bytes.Length / 2)],
            "last byte missing" => bytes[..^1],
            "one byte flipped" => Flip(bytes, bytes.Length / 2),
            _ => [.. bytes, 0],
        };
        var file = Path.Combine(folder.Path, "damaged.bin");
        await File.WriteAllBytesAsync(file, damaged);
        var data = Path.Combine(folder.Path, "restored");

        var refused = Assert.Throws<RestoreRefusedException>(() => RestoreCommand.Restore(file, data));

        Assert.Contains($"backup '{file}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Take the backup again", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task A_folder_that_is_not_empty_is_refused_and_left_as_it_was()
    {
        var (bytes, _) = await BackupAsync();
        var file = Path.Combine(folder.Path, "backup.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var data = Directory.CreateDirectory(Path.Combine(folder.Path, "used")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "keep"), "a node's data");

        var refused = Assert.Throws<RestoreRefusedException>(() => RestoreCommand.Restore(file, data));

        Assert.Contains("is not empty", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(data).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("--from", "x")]
    [InlineData("--data", "x")]
    [InlineData("--from", "x", "--data")]
    [InlineData("--from", "x", "--data", "y", "--force")]
    [InlineData("--from", "x", "--from", "y", "--data", "z")]
    public void Bad_arguments_are_refused_with_the_usage(params string[] args)
    {
        var logger = new Microsoft.Extensions.Logging.Abstractions.NullLogger<RestoreCommandTests>();

        Assert.Equal(2, RestoreCommand.Run(args, logger));
    }

    [Fact]
    public async Task A_backup_without_a_write_token_is_refused()
    {
        using var tokens = new LedgerFactory(new() { ["Ledger:ApiTokens:0:Token"] = "r", ["Ledger:ApiTokens:0:Access"] = "read" });
        using var client = await tokens.CreateReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/backup");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "r");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x40;
        return copy;
    }
}
