using System.Diagnostics;
using System.Globalization;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;

namespace GeoLedger.Tests.Api;

/// <summary>
/// A data folder the node cannot use stops it with a message that says why and exit code 2 (never an unhandled
/// exception, never "in use by another process" for a folder nobody holds); a folder it used holds only private files.
/// Folders are made unwritable with chattr +i and read-only with a bind mount when run as root (root ignores
/// permission bits), with chmod otherwise.
/// </summary>
[Collection(MultiNodeCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes and /proc
public sealed class DataFolderStartupTests : IDisposable
{
    private static readonly bool IsRoot = Environment.UserName == "root";

    private readonly TempFolder folder = new();

    public void Dispose()
    {
        if (IsRoot && Directory.Exists(Data))
            Run("chattr", "-i", Data);
        if (Directory.Exists(Data))
            File.SetUnixFileMode(Data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        folder.Dispose();
    }

    private string Data => Path.Combine(folder.Path, "data");

    [Fact]
    public async Task An_unwritable_data_folder_is_refused_saying_it_cannot_be_written()
    {
        Directory.CreateDirectory(Data);
        if (IsRoot)
            Run("chattr", "+i", Data);
        else
            File.SetUnixFileMode(Data, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        AssertRefused(await StartAsync(Data), $"Data folder '{Data}' cannot be written");
    }

    [Fact]
    public async Task A_data_folder_on_a_read_only_file_system_is_refused_saying_it_cannot_be_written()
    {
        Directory.CreateDirectory(Data);
        if (!IsRoot)
            File.SetUnixFileMode(Data, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        // As root: the node runs in a mount namespace of its own, where the folder is a read-only bind mount.
        string[] wrapper = IsRoot ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"", Data] : [];

        var (exitCode, output) = await StartAsync(Data, wrapper);

        AssertRefused((exitCode, output), $"Data folder '{Data}' cannot be written");
        if (IsRoot)
            Assert.Contains("Read-only file system", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_folder_that_cannot_be_created_is_refused_saying_so()
    {
        var file = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(file, "not a folder");
        var data = Path.Combine(file, "data");

        AssertRefused(await StartAsync(data), $"Data folder '{data}' cannot be created");
    }

    [Fact]
    public async Task Everything_a_node_writes_in_its_data_folder_is_private_to_its_user()
    {
        var layout = ClusterLayout.OnLoopback(folder.Path, 1);
        await using (var cluster = LocalClusterNodes.Start(layout, new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "3" }))
        {
            var node = cluster.Nodes[0];
            await node.WaitReadyAsync(cluster.Http, TimeSpan.FromSeconds(60));
            for (var i = 0; i < 8; i++)
            {
                using var put = await KvClient.PutAsync(cluster.Http, node.PublicUrl, $"private/{i}", i.ToString(CultureInfo.InvariantCulture));
                put.EnsureSuccessStatusCode();
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (node.Spec.NewestSnapshotIndex() == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.True(node.Spec.NewestSnapshotIndex() > 0, "no snapshot was written within 30 s");
            await node.StopAsync();
        }

        var data = layout.Nodes[0].DataDirectory;
        var open = new[] { data }.Concat(Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories))
            .Select(path => (Path: path, Mode: File.GetUnixFileMode(path), IsFolder: Directory.Exists(path)))
            .Where(e => (e.Mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            .Select(e => $"{e.Path} ({(e.IsFolder ? "folder" : "file")} {Convert.ToString((int)e.Mode, 8)})")
            .ToList();
        Assert.True(open.Count == 0, "open to group or others:\n" + string.Join('\n', open));
    }

    /// <summary>Refused naming <paramref name="expected"/>, and never "in use" for a folder nobody holds.</summary>
    private static void AssertRefused((int ExitCode, string Output) run, string expected)
    {
        RefusedStart.AssertRefused(run, expected);
        Assert.DoesNotContain("in use", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs the service on <paramref name="data"/> (under <paramref name="wrapper"/>); its exit code and everything it printed.</summary>
    private Task<(int ExitCode, string Output)> StartAsync(string data, params string[] wrapper) =>
        RefusedStart.RunAsync(folder.Path, [$"--Ledger:DataDirectory={data}"], wrapper);

    private static void Run(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        process.WaitForExit();
    }
}
