using System.Diagnostics;
using System.Globalization;
using System.Net;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A full disk: the node stays up, serves reads, answers writes 507 (not attempted), takes writes again
/// by itself once there is room, and loses nothing acknowledged, across a restart too. The data folder
/// is a small tmpfs mounted for the test (root only).
/// </summary>
[Collection(MultiNodeCollection.Name)]
[Trait("Category", "Root")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DiskFullTests : IDisposable
{
    private const long Mebibyte = 1024 * 1024;

    private readonly TempFolder folder = new();
    private readonly List<string> mounts = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    public void Dispose()
    {
        foreach (var mount in mounts)
            Run("umount", "-l", mount);
        folder.Dispose();
    }

    [Fact]
    public async Task Below_the_free_space_floor_writes_answer_507_reads_go_on_and_writes_resume_when_space_returns()
    {
        var (layout, data) = SmallDisk(sizeMiB: 40);
        await using var cluster = LocalClusterNodes.Start(layout, Settings(minFreeBytes: 8 * Mebibyte), output.Enqueue);
        var node = cluster.Nodes[0];
        await WithOutputOnFailureAsync(async () =>
        {
            await node.WaitReadyAsync(cluster.Http, TimeSpan.FromSeconds(60));
            await PutOkAsync(cluster.Http, node, "kept", "1");

            var filler = Path.Combine(data, "filler");
            Fill(filler, leaveFree: 4 * Mebibyte);
            var free = new DriveInfo(data).AvailableFreeSpace;
            Assert.True(free < 8 * Mebibyte, $"{free} bytes still free");
            using (var refused = await KvClient.PutAsync(cluster.Http, node.PublicUrl, "refused", "2"))
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)refused.StatusCode}: {body}");
                Assert.Equal("10", refused.Headers.GetValues("Retry-After").Single());
                Assert.Contains("Disk full", body, StringComparison.Ordinal);
                Assert.Contains("Ledger:MinFreeDiskBytes", body, StringComparison.Ordinal);
            }

            Assert.Equal((HttpStatusCode.OK, "1"), Trim(await KvClient.GetAsync(cluster.Http, node.PublicUrl, "kept")));
            Assert.Equal(HttpStatusCode.NotFound, (await KvClient.GetAsync(cluster.Http, node.PublicUrl, "refused")).Status);

            File.Delete(filler);
            await WaitForWriteAsync(cluster.Http, node, "after", TimeSpan.FromSeconds(10));
            Assert.True(node.IsRunning);
        });
    }

    [Fact]
    public async Task A_disk_that_fills_up_under_writes_refuses_them_with_507_keeps_every_acknowledged_one_and_recovers()
    {
        // No free-space floor: the disk really runs out (ENOSPC) when the log needs a new 1 MiB segment.
        var (layout, data) = SmallDisk(sizeMiB: 40);
        await using var cluster = LocalClusterNodes.Start(layout, Settings(minFreeBytes: 0), output.Enqueue);
        var node = cluster.Nodes[0];
        await WithOutputOnFailureAsync(async () =>
        {
            await node.WaitReadyAsync(cluster.Http, TimeSpan.FromSeconds(60));
            var filler = Path.Combine(data, "filler");
            Fill(filler, leaveFree: 0);

            var value = "\"" + new string('v', 100_000) + "\"";
            var acknowledged = new List<string>();
            var refused = 0;
            for (var i = 0; i < 60 && refused < 3; i++)
            {
                var key = "big-" + i.ToString(CultureInfo.InvariantCulture);
                using var put = await KvClient.PutAsync(cluster.Http, node.PublicUrl, key, value);
                if (put.StatusCode == HttpStatusCode.OK)
                    acknowledged.Add(key);
                else if (put.StatusCode == HttpStatusCode.InsufficientStorage)
                    refused++;
                else
                    Assert.Fail($"write {i}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            }

            Assert.True(refused > 0, $"the disk never filled: {acknowledged.Count} writes taken");
            Assert.True(node.IsRunning, "the node died on a full disk");
            foreach (var key in acknowledged)
                Assert.Equal(HttpStatusCode.OK, (await KvClient.GetAsync(cluster.Http, node.PublicUrl, key)).Status);

            File.Delete(filler);
            await WaitForWriteAsync(cluster.Http, node, "after-space-returned", TimeSpan.FromSeconds(10));

            await node.StopAsync();
            node.Start();
            await node.WaitReadyAsync(cluster.Http, TimeSpan.FromSeconds(60));
            foreach (var key in acknowledged.Append("after-space-returned"))
                Assert.Equal(HttpStatusCode.OK, (await KvClient.GetAsync(cluster.Http, node.PublicUrl, key)).Status);
            await PutOkAsync(cluster.Http, node, "after-restart", "3");
        });
    }

    private async Task WithOutputOnFailureAsync(Func<Task> assertions)
    {
        try
        {
            await assertions();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output ---\n{string.Join('\n', output)}\n--- end of node output ---\n{e}");
        }
    }

    private static Dictionary<string, string> Settings(long minFreeBytes) => new()
    {
        ["Ledger:SegmentBytes"] = Mebibyte.ToString(CultureInfo.InvariantCulture),
        ["Ledger:MinFreeDiskBytes"] = minFreeBytes.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A one-node layout whose data folder is a fresh tmpfs of <paramref name="sizeMiB"/> MiB.</summary>
    private (ClusterLayout Layout, string Data) SmallDisk(int sizeMiB)
    {
        var layout = ClusterLayout.OnLoopback(folder.Path, 1);
        var data = layout.Nodes[0].DataDirectory;
        Directory.CreateDirectory(data);
        Run("mount", "-t", "tmpfs", "-o", $"size={sizeMiB}m,mode=0700", "tmpfs", data);
        mounts.Add(data);
        return (layout, data);
    }

    /// <summary>Writes <paramref name="path"/> until the disk has <paramref name="leaveFree"/> bytes free (or none).</summary>
    private static void Fill(string path, long leaveFree)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var chunk = new byte[64 * 1024];
        var drive = new DriveInfo(Path.GetDirectoryName(path)!);
        try
        {
            while (drive.AvailableFreeSpace > leaveFree)
            {
                file.Write(chunk, 0, (int)Math.Min(chunk.Length, Math.Max(4096, drive.AvailableFreeSpace - leaveFree)));
                file.Flush();
            }
        }
        catch (IOException) when (leaveFree == 0)
        {
            // ENOSPC: full, as asked
        }
    }

    private static async Task PutOkAsync(HttpClient http, NodeProcess node, string key, string value)
    {
        using var put = await KvClient.PutAsync(http, node.PublicUrl, key, value);
        Assert.True(put.StatusCode == HttpStatusCode.OK, $"{key}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    /// <summary>Writes <paramref name="key"/> until it is taken (a 507 is retried: free space is checked at most every 100 ms).</summary>
    private static async Task WaitForWriteAsync(HttpClient http, NodeProcess node, string key, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < timeout)
        {
            using var put = await KvClient.PutAsync(http, node.PublicUrl, key, "1");
            if (put.StatusCode == HttpStatusCode.OK)
                return;
            last = $"{(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}";
            Assert.Equal(HttpStatusCode.InsufficientStorage, put.StatusCode);
            await Task.Delay(50);
        }

        Assert.Fail($"writes were not taken again within {timeout.TotalSeconds} s of space returning; last answer {last}");
    }

    private static (HttpStatusCode, string?) Trim((HttpStatusCode Status, string? Value, long Revision) read) => (read.Status, read.Value);

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }
}
