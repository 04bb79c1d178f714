using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace GeoLedger.Bench;

/// <summary>What etcd's maintenance status says: this member's id and the leader's, hex.</summary>
internal sealed record EtcdStatus(string Self, string? Leader);

/// <summary>Starting one etcd member of a new cluster, and asking a member for its status: shared by the loopback and the geo benchmarks.</summary>
internal static class EtcdProcess
{
    private const int KeptLines = 2_000;

    /// <summary>
    /// Starts member <paramref name="name"/> of a new cluster; its output lines go to <paramref name="output"/>
    /// (prefixed with the name, the last 2,000 kept) for failure messages.
    /// </summary>
    public static Process Start(string name, string dataDirectory, string clientUrl, string listenPeerUrl, string advertisedPeerUrl, string initialCluster, ConcurrentQueue<string> output)
    {
        var info = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--name", name,
            "--data-dir", dataDirectory,
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", listenPeerUrl,
            "--initial-advertise-peer-urls", advertisedPeerUrl,
            "--initial-cluster", initialCluster,
            "--initial-cluster-state", "new",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Keep(output, name, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(output, name, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The member's status at <paramref name="client"/>, or null when it does not answer one.</summary>
    public static async Task<EtcdStatus?> StatusAsync(HttpClient http, Uri client, CancellationToken token)
    {
        try
        {
            using var response = await http.PostAsync(new Uri(client, "v3/maintenance/status"), JsonContent.Create(new { }), token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return null;
            var doc = await response.Content.ReadFromJsonAsync<JsonElement>(token).ConfigureAwait(false);
            var self = doc.GetProperty("header").GetProperty("member_id").GetString();
            var leader = doc.TryGetProperty("leader", out var l) ? l.GetString() : null;
            return self is null ? null : new EtcdStatus(self, leader);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void Keep(ConcurrentQueue<string> output, string name, string? line)
    {
        if (line is null)
            return;
        output.Enqueue($"[{name}] {line}");
        while (output.Count > KeptLines)
            output.TryDequeue(out _);
    }
}
