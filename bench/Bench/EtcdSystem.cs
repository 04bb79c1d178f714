using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GeoLedger.LocalCluster;

namespace GeoLedger.Bench;

/// <summary>
/// A 3-member etcd cluster on loopback with etcd's default settings (only names, URLs and data
/// folders given), driven through its v3 JSON gateway: <c>POST /v3/kv/put</c> and
/// <c>/v3/kv/range</c> with base64 keys and values.
/// </summary>
internal sealed class EtcdSystem(string root) : IKvSystem
{
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ConcurrentQueue<string> output = new();
    private Member[] members = [];

    public string Name => "etcd";

    public IReadOnlyList<Uri> Members => members.Select(m => m.Client).ToList();

    public IReadOnlyList<int> Pids => members.Select(m => m.Process is { HasExited: false } p ? p.Id : 0).Where(p => p > 0).ToList();

    /// <summary>The etcd binary's version line.</summary>
    public static string Version()
    {
        using var process = Process.Start(new ProcessStartInfo("etcd", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text.Split('\n').FirstOrDefault()?.Trim() ?? "unknown";
    }

    public async Task StartAsync(CancellationToken token)
    {
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        members = Enumerable.Range(0, 3).Select(i => new Member(
            $"etcd-{i}",
            new Uri($"http://127.0.0.1:{PortAllocator.Next()}/"),
            new Uri($"http://127.0.0.1:{PortAllocator.Next()}/"),
            Path.Combine(root, $"etcd-{i}"))).ToArray();
        for (var i = 0; i < members.Length; i++)
            Launch(i);
        await LeaderAsync(token).ConfigureAwait(false);
        await WritableProbe.WaitAsync(this, http, () => "etcd took no write within 30 s of electing a leader:\n" + Tail(20), token).ConfigureAwait(false);
    }

    public async Task<int> LeaderAsync(CancellationToken token)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var leaders = new HashSet<string>();
            var ids = new Dictionary<string, int>();
            for (var i = 0; i < members.Length; i++)
            {
                if (members[i].Process is not { HasExited: false })
                    continue;
                var status = await EtcdProcess.StatusAsync(http, members[i].Client, token).ConfigureAwait(false);
                leaders.Add(status?.Leader ?? "");
                if (status is not null)
                    ids[status.Self] = i;
            }

            if (leaders.Count == 1 && leaders.Single() is { Length: > 0 } leader && leader != "0" && ids.TryGetValue(leader, out var index))
                return index;
            await Task.Delay(25, token).ConfigureAwait(false);
        }

        throw new TimeoutException("the etcd members did not agree on a leader within 60 s:\n" + Tail(20));
    }

    public KvRequest Put(Uri member, string key, string value) =>
        new(HttpMethod.Post, new Uri(member, "v3/kv/put"), Encoding.UTF8.GetBytes($"{{\"key\":\"{Base64(key)}\",\"value\":\"{Base64(value)}\"}}"));

    public KvRequest Get(Uri member, string key, bool linearizable) =>
        new(HttpMethod.Post, new Uri(member, "v3/kv/range"), Encoding.UTF8.GetBytes(linearizable
            ? $"{{\"key\":\"{Base64(key)}\"}}"
            : $"{{\"key\":\"{Base64(key)}\",\"serializable\":true}}"));

    public async Task KillAsync(int index)
    {
        if (members[index].Process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async Task RestartAsync(int index, CancellationToken token)
    {
        Launch(index);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(members[index].Client, "health"), token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(token).ConfigureAwait(false)).Contains("\"true\"", StringComparison.Ordinal))
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(50, token).ConfigureAwait(false);
        }

        throw new TimeoutException($"etcd-{index} was not healthy within 60 s of its restart:\n" + Tail(20));
    }

    public async Task StopAsync()
    {
        for (var i = 0; i < members.Length; i++)
        {
            await KillAsync(i).ConfigureAwait(false);
            members[i].Process?.Dispose();
        }

        members = [];
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        http.Dispose();
    }

    /// <summary>The last lines of etcd output, for a failure message.</summary>
    public string Tail(int lines) => string.Join('\n', output.Skip(Math.Max(0, output.Count - lines)));

    private void Launch(int index)
    {
        var m = members[index];
        var cluster = string.Join(',', members.Select(x => $"{x.Name}={Trim(x.Peer)}"));
        var process = EtcdProcess.Start(m.Name, m.DataDirectory, Trim(m.Client), Trim(m.Peer), Trim(m.Peer), cluster, output);
        members[index] = m with { Process = process };
    }


    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Trim(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    private sealed record Member(string Name, Uri Client, Uri Peer, string DataDirectory)
    {
        public Process? Process { get; init; }
    }

}
