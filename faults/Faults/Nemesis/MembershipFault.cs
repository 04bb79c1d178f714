using System.Net;
using System.Text;
using System.Text.Json;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.Nemesis;

/// <summary>
/// A membership fault: a follower is removed (<c>DELETE /v1/cluster/members/{id}</c>), killed, its data folder
/// emptied, restarted with the same node config, and added back (<c>POST /v1/cluster/members</c>), so it rejoins
/// as a learner, catches up from nothing and votes again. Each request is retried until it answers 200, as an
/// operator would (the changes are idempotent).
/// </summary>
public static class MembershipFault
{
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Removes <paramref name="victim"/> and adds it back empty; returns what happened.</summary>
    public static async Task<string> RemoveAndAddBackEmptyAsync(LocalClusterNodes cluster, NodeProcess victim, CancellationToken token)
    {
        using var http = NodeHttp.Create(TimeSpan.FromSeconds(70), followRedirects: false);
        var others = cluster.Nodes.Where(n => n != victim).ToList();
        var removed = await UntilOkAsync(http, others, HttpMethod.Delete, $"/v1/cluster/members/{victim.Id}", null, token).ConfigureAwait(false);
        await victim.KillAsync().ConfigureAwait(false);
        if (Directory.Exists(victim.Spec.DataDirectory))
            Directory.Delete(victim.Spec.DataDirectory, recursive: true);
        victim.Start();
        var member = victim.Spec.Member;
        var body = JsonSerializer.Serialize(new { id = member.Id, region = member.Region, raft = member.Raft.AbsoluteUri, @public = member.Public.AbsoluteUri });
        var added = await UntilOkAsync(http, others, HttpMethod.Post, "/v1/cluster/members", body, token).ConfigureAwait(false);
        return $"removed {victim.Id} ({removed} requests), emptied its data folder, added it back ({added} requests)";
    }

    /// <summary>Sends the request to the nodes in turn (following a 307 once) until one answers 200; returns how many were sent.</summary>
    private static async Task<int> UntilOkAsync(HttpClient http, IReadOnlyList<NodeProcess> nodes, HttpMethod method, string path, string? body, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(ChangeTimeout);
        var sent = 0;
        var last = "";
        while (!deadline.IsCancellationRequested)
        {
            var target = new Uri(nodes[sent % nodes.Count].PublicUrl, path);
            for (var hop = 0; hop < 2; hop++)
            {
                sent++;
                using var request = new HttpRequestMessage(method, target);
                if (body is not null)
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                try
                {
                    using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                        return sent;
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false)}";
                    if (response.StatusCode == HttpStatusCode.TemporaryRedirect && response.Headers.Location is { } location)
                    {
                        target = location;
                        continue;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    last = e.Message;
                }

                break;
            }

            try
            {
                await Task.Delay(200, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        token.ThrowIfCancellationRequested();
        throw new TimeoutException($"{method} {path} did not answer 200 within {ChangeTimeout.TotalSeconds:0} s; last answer: {last}");
    }
}
