using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>Membership changes against a running cluster, retried as an operator would: the same request until it answers 200.</summary>
public static class MembershipClient
{
    /// <summary>One answer to a membership request, after following a redirect to the leader.</summary>
    public sealed record Answer(HttpStatusCode Status, string Body);

    /// <summary>Sends one change to <paramref name="node"/>, following 307s to the leader; a refused connection answers 503.</summary>
    public static async Task<Answer> SendAsync(HttpClient http, Uri node, HttpMethod method, string path, string? json)
    {
        var target = new Uri(node, path);
        for (var hop = 0; hop < 5; hop++)
        {
            using var request = new HttpRequestMessage(method, target);
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            try
            {
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.TemporaryRedirect && response.Headers.Location is { } location)
                {
                    target = location;
                    continue;
                }

                return new Answer(response.StatusCode, body);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return new Answer(HttpStatusCode.ServiceUnavailable, e.Message);
            }
        }

        return new Answer(HttpStatusCode.LoopDetected, "too many redirects");
    }

    /// <summary>Retries one change (to each running node in turn) until it answers 200; returns every answer seen.</summary>
    /// <exception cref="TimeoutException">No 200 within <paramref name="timeout"/>.</exception>
    public static async Task<IReadOnlyList<Answer>> UntilDoneAsync(LocalClusterNodes cluster, Func<IReadOnlyList<NodeProcess>> askable, HttpMethod method, string path, string? json, TimeSpan timeout)
    {
        var answers = new List<Answer>();
        var deadline = DateTime.UtcNow + timeout;
        var turn = 0;
        while (DateTime.UtcNow < deadline)
        {
            var nodes = askable();
            if (nodes.Count > 0)
            {
                var answer = await SendAsync(cluster.Http, nodes[turn++ % nodes.Count].PublicUrl, method, path, json);
                answers.Add(answer);
                if (answer.Status == HttpStatusCode.OK)
                    return answers;
                if (answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
                    throw new InvalidOperationException($"{method} {path} answered {(int)answer.Status}: {answer.Body}");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{method} {path} did not answer 200 within {timeout.TotalSeconds:0} s; answers: {string.Join(" | ", answers.Select(a => $"{(int)a.Status} {a.Body}"))}");
    }

    /// <summary>The request body adding <paramref name="member"/>.</summary>
    public static string AddBody(ClusterMember member) =>
        JsonSerializer.Serialize(new { id = member.Id, region = member.Region, raft = member.Raft.AbsoluteUri, @public = member.Public.AbsoluteUri });

    /// <summary>What <paramref name="node"/> says in <c>/v1/cluster</c>: its membership, and its voting members' ids.</summary>
    public static async Task<(string Membership, IReadOnlyList<string> Members)?> ClusterSeenByAsync(HttpClient http, NodeProcess node)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var doc = await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"), cts.Token);
            return (doc.GetProperty("membership").GetString()!, doc.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList());
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }
}
