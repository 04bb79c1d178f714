using GeoLedger.Ledger;

namespace GeoLedger.Tests.Api;

/// <summary>
/// Invalid settings and damaged data stop the real service process (exit code 2) with a message naming the setting or
/// the folder.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private string DataDirectory => Path.Combine(folder.Path, "data");

    /// <summary>Runs the service on this test's data folder with <paramref name="args"/> and checks it refused, naming <paramref name="expected"/>.</summary>
    private async Task AssertRefusedAsync(string expected, params string[] args) =>
        RefusedStart.AssertRefused(await RefusedStart.RunAsync(folder.Path, [$"--Ledger:DataDirectory={DataDirectory}", .. args]), expected);

    [Fact]
    public async Task An_empty_token_is_refused_naming_the_setting()
    {
        await AssertRefusedAsync("Ledger:ApiTokens:1:Token is empty", "--Ledger:ApiTokens:0:Token=w", "--Ledger:ApiTokens:0:Access=write", "--Ledger:ApiTokens:1:Token=", "--Ledger:ApiTokens:1:Access=read");
    }

    [Fact]
    public async Task An_unknown_access_is_refused_naming_the_setting()
    {
        await AssertRefusedAsync("Ledger:ApiTokens:0:Access is 'root': use read, write or admin", "--Ledger:ApiTokens:0:Token=w", "--Ledger:ApiTokens:0:Access=root");
    }

    [Fact]
    public async Task Read_authentication_without_tokens_is_refused_naming_the_settings()
    {
        await AssertRefusedAsync("Ledger:RequireReadAuth is true but Ledger:ApiTokens is empty", "--Ledger:RequireReadAuth=true");
    }

    [Theory]
    [InlineData("--Ledger:MaxValueBytes=0", "Ledger:MaxValueBytes is 0")]
    [InlineData("--Ledger:SnapshotInterval=0", "Ledger:SnapshotInterval is 0")]
    [InlineData("--Ledger:SegmentBytes=4096", "Ledger:SegmentBytes is 4096")]
    [InlineData("--Ledger:MinFreeDiskBytes=-1", "Ledger:MinFreeDiskBytes is -1")]
    [InlineData("--Ledger:WriteTimeoutMs=0", "Ledger:WriteTimeoutMs")]
    public async Task An_out_of_range_setting_is_refused_naming_it(string arg, string expected)
    {
        await AssertRefusedAsync(expected, arg);
    }

    [Fact]
    public async Task A_missing_node_config_is_refused_naming_the_file()
    {
        var path = Path.Combine(folder.Path, "absent.json");

        await AssertRefusedAsync($"Node config '{path}' (Ledger:NodeConfig) cannot be read", $"--Ledger:NodeConfig={path}");
    }

    [Fact]
    public async Task Raft_off_loopback_without_a_cluster_secret_is_refused()
    {
        var path = Path.Combine(folder.Path, "node.json");
        File.WriteAllText(path, """
            { "self": "a", "members": [
              { "id": "a", "region": "r", "raft": "http://10.1.0.4:3262/", "public": "http://10.1.0.4:80/" },
              { "id": "b", "region": "r", "raft": "http://10.2.0.4:3262/", "public": "http://10.2.0.4:80/" } ] }
            """);

        await AssertRefusedAsync("Ledger:ClusterSecret is required", $"--Ledger:NodeConfig={path}");
    }

    [Fact]
    public async Task A_damaged_snapshot_is_refused_naming_the_folder()
    {
        var snapshots = Directory.CreateDirectory(Path.Combine(DataDirectory, "snapshots"));
        await File.WriteAllBytesAsync(Path.Combine(snapshots.FullName, "5-1"), "GLSNAP not really a snapshot at all"u8.ToArray());

        await AssertRefusedAsync($"folder '{snapshots.FullName}'");
    }

    [Fact]
    public async Task A_data_folder_in_use_is_refused_naming_the_folder()
    {
        Directory.CreateDirectory(DataDirectory);
        using var held = DataDirectoryLock.Acquire(DataDirectory);

        await AssertRefusedAsync($"Data folder '{DataDirectory}' is in use");
    }
}
