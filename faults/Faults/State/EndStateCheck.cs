using System.Net;
using System.Text.Json;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.State;

/// <summary>
/// The end-of-run state check: once the workload has stopped and every fault is healed, waits until the voting members
/// have applied one index at or past the leader's commit index (<see cref="Convergence"/>), reads each one's own state
/// under the prefix (<c>GET /v1/kv?prefix=&amp;consistency=local</c>, every page), and compares them (<see cref="StateComparer"/>).
/// A node's read counts only when its applied index is the same before and after it, so no late apply slips between.
/// </summary>
/// <param name="nodes">Every node the run started, by id.</param>
/// <param name="prefix">The workload's key prefix.</param>
public sealed class EndStateCheck(IReadOnlyList<(string Id, Uri Url)> nodes, string prefix)
{
    private const int PageLimit = 1000; // the list API's largest page
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Waits up to <paramref name="timeout"/> for the members to converge, then reads and compares their states.</summary>
    public async Task<(StateCheckResult Result, IReadOnlyList<NodeState> States)> RunAsync(TimeSpan timeout)
    {
        using var http = NodeHttp.Create(TimeSpan.FromSeconds(5), followRedirects: false, TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow + timeout;
        var why = "";
        IReadOnlyList<string> leftOut = [];
        while (DateTime.UtcNow < deadline)
        {
            var before = await StatusesAsync(http, nodes).ConfigureAwait(false);
            if (Convergence.Voters(before, out why) is { } voters)
            {
                leftOut = nodes.Where(n => !voters.Contains(n.Id)).Select(n => $"{n.Id} ({LeftOutBecause(before[n.Id])})").ToList();
                var members = nodes.Where(n => voters.Contains(n.Id)).ToList();
                var states = await Task.WhenAll(members.Select(n => ReadStateAsync(http, n.Url))).ConfigureAwait(false);
                var after = await StatusesAsync(http, members).ConfigureAwait(false);
                var moved = members.Where(n => after[n.Id]?.AppliedIndex != before[n.Id]!.AppliedIndex).Select(n => n.Id).ToList();
                if (states.All(s => s is not null) && moved.Count == 0)
                {
                    var read = members.Zip(states).Select(p => new NodeState(p.First.Id, before[p.First.Id]!.AppliedIndex, p.Second!)).ToList();
                    return (StateComparer.Compare(read, leftOut), read);
                }

                why = moved.Count > 0 ? $"{string.Join(", ", moved)} applied more while being read" : "a voting member did not answer its list";
            }

            await Task.Delay(PollInterval).ConfigureAwait(false); // between polls of a condition with a deadline
        }

        return (StateCheckResult.DidNotConverge($"the voting members did not reach one applied index at or past the leader's commit index within {timeout.TotalSeconds:0} s: {why}", leftOut), []);
    }

    private static string LeftOutBecause(ClusterStatus? status) => status switch
    {
        null => "not a voting member, no answer",
        { Membership: "removed" } => "removed, not a voting member",
        _ => "not in the leader's configuration",
    };

    private static async Task<Dictionary<string, ClusterStatus?>> StatusesAsync(HttpClient http, IReadOnlyList<(string Id, Uri Url)> targets)
    {
        var answers = await Task.WhenAll(targets.Select(n => StatusAsync(http, n.Url))).ConfigureAwait(false);
        return targets.Zip(answers).ToDictionary(p => p.First.Id, p => p.Second, StringComparer.Ordinal);
    }

    private static async Task<ClusterStatus?> StatusAsync(HttpClient http, Uri node)
    {
        try
        {
            return ClusterStatus.Parse(await http.GetStringAsync(new Uri(node, "/v1/cluster")).ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Every key under the prefix on this node's own applied state, following <c>next</c>; null when a page fails.</summary>
    private async Task<IReadOnlyList<StateEntry>?> ReadStateAsync(HttpClient http, Uri node)
    {
        var entries = new List<StateEntry>();
        string? after = null;
        try
        {
            do
            {
                var query = $"/v1/kv?prefix={Uri.EscapeDataString(prefix)}&limit={PageLimit}&consistency=local{(after is null ? "" : $"&after={Uri.EscapeDataString(after)}")}";
                using var response = await http.GetAsync(new Uri(node, query)).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                    return null;
                using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
                    entries.Add(new StateEntry(item.GetProperty("key").GetString()!, item.GetProperty("value").GetRawText(), item.GetProperty("revision").GetInt64()));
                var next = page.RootElement.GetProperty("next");
                after = next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            }
            while (after is not null);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }

        return entries;
    }
}
