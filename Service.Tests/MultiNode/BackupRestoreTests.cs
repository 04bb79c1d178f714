using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.LocalCluster;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A backup of 100,000 keys taken from a 3-node cluster under write load, restored with the <c>restore</c> command into
/// a fresh 3-node cluster: every node of it answers exactly the state at the backup's revision (every key, value and
/// revision, worked out from the writes' acknowledgements, not from the backup), and writes continue after it; a
/// truncated copy of the backup is refused.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class BackupRestoreTests(ITestOutputHelper output)
{
    private const int Keys = 100_000;
    private const int KeysPerTransaction = 1_000;
    private const int Writers = 4;

    private sealed record Write(string Key, string? Value, long Revision);

    [Fact]
    public async Task A_backup_under_write_load_restores_into_a_new_cluster_at_exactly_its_revision()
    {
        var backupFile = Path.Combine(Path.GetTempPath(), "geoledger-tests", $"backup-{Guid.NewGuid():N}.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(backupFile)!);
        try
        {
            var (revision, expected, uncertain) = await BackUpAsync(backupFile);
            RestoreRefusesATruncatedCopy(backupFile);
            await RestoreAndCompareAsync(backupFile, revision, expected, uncertain);
        }
        finally
        {
            File.Delete(backupFile);
            File.Delete(backupFile + ".truncated");
        }
    }

    /// <summary>Loads the keys, then takes the backup while writers overwrite and add keys; returns the expected state at its revision.</summary>
    private async Task<(long Revision, Dictionary<string, Write> Expected, HashSet<string> Uncertain)> BackUpAsync(string backupFile)
    {
        await using var source = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:MaxTxnOperations"] = KeysPerTransaction.ToString() });
        (long, Dictionary<string, Write>, HashSet<string>) result = default;
        await source.WithOutputOnFailureAsync(async () =>
        {
            using var http = Client();
            var leader = await source.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var writes = new ConcurrentQueue<Write>();
            var uncertain = new ConcurrentDictionary<string, bool>();
            var clock = Stopwatch.StartNew();

            // The bulk path: transactions of 1,000 puts, four at a time.
            await Parallel.ForEachAsync(Enumerable.Range(0, Keys / KeysPerTransaction), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, token) =>
            {
                var keys = Enumerable.Range(batch * KeysPerTransaction, KeysPerTransaction).Select(i => (Key: $"bulk/{i:D6}", Value: $$"""{"i":{{i}}}""")).ToList();
                var body = "{\"success\":[" + string.Join(",", keys.Select(k => $$"""{"put":{"key":"{{k.Key}}","value":{{k.Value}} } }""")) + "]}";
                var revision = await LoadAsync(http, leader.PublicUrl, body, token);
                foreach (var (key, value) in keys)
                    writes.Enqueue(new Write(key, value, revision));
            });
            output.WriteLine($"{Keys} keys loaded in {clock.Elapsed.TotalSeconds:0.0} s");

            // Writers overwrite bulk keys and add keys of their own, through the followers too (307 to the leader).
            using var stop = new CancellationTokenSource();
            var acknowledged = 0;
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var node = source.Nodes.Nodes[random.Next(3)].PublicUrl;
                    var key = n % 2 == 0 ? $"bulk/{random.Next(Keys):D6}" : $"load/{w}/{n}";
                    var value = $$"""{"w":"{{w}}-{{n}}"}""";
                    try
                    {
                        using var put = await KvClient.PutAsync(http, node, key, value);
                        if (put.StatusCode == HttpStatusCode.OK)
                        {
                            writes.Enqueue(new Write(key, value, (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64()));
                            Interlocked.Increment(ref acknowledged);
                        }
                        else if (put.StatusCode != HttpStatusCode.ServiceUnavailable)
                        {
                            uncertain[key] = true; // 504: it may or may not have happened
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        uncertain[key] = true;
                    }
                }
            })).ToList();

            await Conditions.WaitUntilAsync(() => Volatile.Read(ref acknowledged) >= 200, TimeSpan.FromSeconds(60), "200 writes are acknowledged");
            var follower = source.Nodes.Nodes.First(n => n != leader);
            var revision = await DownloadBackupAsync(http, follower.PublicUrl, backupFile);

            var atBackup = Volatile.Read(ref acknowledged);
            await Conditions.WaitUntilAsync(() => Volatile.Read(ref acknowledged) >= atBackup + 200, TimeSpan.FromSeconds(60), "200 more writes are acknowledged after the backup");
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            var all = writes.ToList();
            Assert.Contains(all, w => w.Revision > revision); // the load went on past the backup
            Assert.Contains(all, w => w.Key.StartsWith("load/", StringComparison.Ordinal) && w.Revision <= revision);
            var expected = all.Where(w => w.Revision <= revision).GroupBy(w => w.Key).ToDictionary(g => g.Key, g => g.MaxBy(w => w.Revision)!);
            output.WriteLine($"backup at revision {revision} ({new FileInfo(backupFile).Length} bytes, {expected.Count} keys) taken with {atBackup} writes acknowledged; "
                + $"{all.Count(w => w.Revision > revision)} acknowledged after it; {uncertain.Count} writes of unknown outcome; {clock.Elapsed.TotalSeconds:0.0} s so far");
            result = (revision, expected, uncertain.Keys.ToHashSet());
        });
        return result;
    }

    /// <summary>Takes the backup into <paramref name="path"/>; a 503 (the read barrier not confirmed in time on a busy machine) is tried again.</summary>
    private static async Task<long> DownloadBackupAsync(HttpClient http, Uri node, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var backup = await http.GetAsync(new Uri(node, "/v1/backup"), HttpCompletionOption.ResponseHeadersRead);
            if (backup.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10)
                continue;
            Assert.True(backup.StatusCode == HttpStatusCode.OK, $"backup answered {(int)backup.StatusCode}: {await backup.Content.ReadAsStringAsync()}");
            await using var file = File.Create(path);
            await backup.Content.CopyToAsync(file);
            return long.Parse(backup.Headers.GetValues("X-GeoLedger-Backup-Revision").Single());
        }
    }

    /// <summary>
    /// Sends one bulk transaction until it is acknowledged: it only puts fixed values, so sending it again after an unknown
    /// outcome (a busy machine can pass the write timeout) leaves the same state, at the revision of the answer.
    /// </summary>
    private async Task<long> LoadAsync(HttpClient http, Uri leader, string body, CancellationToken token)
    {
        var answers = new List<string>();
        while (answers.Count < 10)
        {
            using var response = await http.PostAsync(new Uri(leader, "/v1/txn"), new StringContent(body, Encoding.UTF8, "application/json"), token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                if (answers.Count > 0)
                    output.WriteLine($"a bulk transaction was acknowledged after {string.Join(", ", answers)}");
                return (await response.Content.ReadFromJsonAsync<JsonElement>(token)).GetProperty("revision").GetInt64();
            }

            answers.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
        }

        throw new InvalidOperationException($"a bulk transaction was refused 10 times: {string.Join("; ", answers)}");
    }

    private void RestoreRefusesATruncatedCopy(string backupFile)
    {
        var bytes = File.ReadAllBytes(backupFile);
        File.WriteAllBytes(backupFile + ".truncated", bytes[..(bytes.Length - 4096)]);
        var data = Path.Combine(Path.GetDirectoryName(backupFile)!, $"refused-{Guid.NewGuid():N}");

        var (exitCode, text) = RunRestore(backupFile + ".truncated", data);

        Assert.Equal(1, exitCode);
        Assert.Contains("fails its checksum (the file was damaged or truncated)", text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
    }

    private async Task RestoreAndCompareAsync(string backupFile, long revision, Dictionary<string, Write> expected, HashSet<string> uncertain)
    {
        var restoreOutput = new List<string>();
        await using var restored = await TestCluster.StartAsync(3, prepare: root =>
        {
            for (var i = 0; i < 3; i++)
            {
                var (exitCode, text) = RunRestore(backupFile, Path.Combine(root, $"node-{i}"));
                restoreOutput.Add(text);
                Assert.True(exitCode == 0, text);
            }
        });
        await restored.WithOutputOnFailureAsync(async () =>
        {
            Assert.All(restoreOutput, text => Assert.Contains($"keys at revision {revision} into data folder", text, StringComparison.Ordinal));
            using var http = Client();
            foreach (var node in restored.Nodes.Nodes)
            {
                var actual = await ListAllAsync(http, node.PublicUrl);
                var mismatches = expected.Values.Where(w => !uncertain.Contains(w.Key))
                    .Where(w => !actual.TryGetValue(w.Key, out var a) || a != w)
                    .Select(w => $"{w.Key}: expected {w.Value}@{w.Revision}, found {(actual.TryGetValue(w.Key, out var a) ? $"{a.Value}@{a.Revision}" : "nothing")}")
                    .Concat(actual.Keys.Where(k => !expected.ContainsKey(k) && !uncertain.Contains(k)).Select(k => $"{k}: not expected at revision {revision}"))
                    .ToList();
                Assert.True(mismatches.Count == 0, $"{node.Id}: {mismatches.Count} differences, the first: {string.Join("; ", mismatches.Take(5))}");
                Assert.True(actual.Count >= Keys, $"{node.Id} has {actual.Count} keys");
            }

            var leader = await restored.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            using var put = await KvClient.PutAsync(http, leader.PublicUrl, "after/restore", "1");
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"a write after the restore answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            var next = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
            Assert.True(next > revision, $"a write after the restore got revision {next}, not after the backup's {revision}");
            output.WriteLine($"every node of the restored cluster matches the {expected.Count - uncertain.Count} certain keys at revision {revision}; the next write got revision {next}");
        });
    }

    /// <summary>Every key the node has (linearizable pages of 1,000).</summary>
    private static async Task<Dictionary<string, Write>> ListAllAsync(HttpClient http, Uri node)
    {
        var all = new Dictionary<string, Write>(StringComparer.Ordinal);
        string? after = null;
        do
        {
            var query = "/v1/kv?prefix=&limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await GetPageAsync(http, new Uri(node, query));
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                var key = item.GetProperty("key").GetString()!;
                all[key] = new Write(key, item.GetProperty("value").GetRawText(), item.GetProperty("revision").GetInt64());
            }

            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        return all;
    }

    /// <summary>A page of the listing; a 503 (a read barrier not confirmed in time on a busy machine) is tried again.</summary>
    private static async Task<JsonElement> GetPageAsync(HttpClient http, Uri uri)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await http.GetAsync(uri);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10)
                continue;
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{uri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
    }

    private static (int ExitCode, string Output) RunRestore(string from, string data)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { NodeBinary.Locate(), "restore", "--from", from, "--data", data })
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"restore did not finish in 60 s: {stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static HttpClient Client() => new(new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
}
