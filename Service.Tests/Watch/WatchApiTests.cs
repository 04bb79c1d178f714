using System.Net;
using GeoLedger.Tests.Api;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Watch;

/// <summary>A node that keeps 50 changes for watchers and sends progress every 200 ms.</summary>
public sealed class WatchNodeFixture() : NodeFixture(new() { ["Ledger:WatchHistoryChanges"] = "50", ["Ledger:WatchProgressMs"] = "200" });

/// <summary><c>GET /v1/watch</c> on one node: changes in order, transactions together, resume, progress, 410, bad input.</summary>
public sealed class WatchApiTests(WatchNodeFixture node) : IClassFixture<WatchNodeFixture>
{
    private HttpClient Client => node.Client;

    private async Task<long> PutAsync(string key, string value)
    {
        using var response = await Client.PutAsync($"/v1/kv/{key}", Value(value));
        return await EntryAsync(response, key, value);
    }

    /// <summary>Opens a watch and returns its events (the stream is closed when the token fires).</summary>
    private async Task<(HttpResponseMessage Response, IAsyncEnumerator<SseEvent> Events)> WatchAsync(string query, CancellationToken token, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/watch?" + query);
        if (lastEventId is not null)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = SseReader.ReadAsync(await response.Content.ReadAsStreamAsync(token), token).GetAsyncEnumerator(token);
        return (response, events);
    }

    private static async Task<SseEvent> NextChangeAsync(IAsyncEnumerator<SseEvent> events)
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current.Event == "change")
                return events.Current;
        }

        throw new InvalidOperationException("the stream ended");
    }

    [Fact]
    public async Task Changes_under_the_prefix_arrive_in_order_with_previous_revisions_and_a_transaction_as_one_event()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await PutAsync("w1/a", "1");
        await PutAsync("other/x", "0");
        using var txn = await Client.PostAsync("/v1/txn", Json("""{"success":[{"put":{"key":"w1/b","value":{"s":"ü"}}},{"delete":{"key":"w1/a"}},{"put":{"key":"other/y","value":1}}]}"""));
        var revision = (await BodyAsync(txn)).GetProperty("revision").GetInt64();
        var (response, events) = await WatchAsync($"prefix=w1/&fromRevision={first}", timeout.Token);
        using (response)
        {
            var one = await NextChangeAsync(events);
            var two = await NextChangeAsync(events);

            Assert.Equal((first.ToString(), $$"""{"revision":{{first}},"changes":[{"type":"put","key":"w1/a","value":1,"revision":{{first}},"previousRevision":0}]}"""), (one.Id, one.Data));
            Assert.Equal(
                (revision.ToString(), $$$"""{"revision":{{{revision}}},"changes":[{"type":"put","key":"w1/b","value":{"s":"ü"},"revision":{{{revision}}},"previousRevision":0},{"type":"delete","key":"w1/a","revision":{{{revision}}},"previousRevision":{{{first}}}}]}"""),
                (two.Id, two.Data));
            var later = await PutAsync("w1/c", "3"); // a live change, after the stream caught up
            var three = await NextChangeAsync(events);
            Assert.Equal(later.ToString(), three.Id);
        }
    }

    [Fact]
    public async Task A_resume_with_Last_Event_ID_goes_on_right_after_it()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var revisions = new List<long>();
        for (var i = 0; i < 4; i++)
            revisions.Add(await PutAsync($"w2/{i}", i.ToString()));

        var (response, events) = await WatchAsync("prefix=w2/", timeout.Token, lastEventId: revisions[1].ToString());
        using (response)
        {
            Assert.Equal(revisions[2].ToString(), (await NextChangeAsync(events)).Id);
            Assert.Equal(revisions[3].ToString(), (await NextChangeAsync(events)).Id);
        }
    }

    [Fact]
    public async Task With_nothing_to_send_progress_events_carry_the_current_revision()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var revision = await PutAsync("w3/a", "1");
        var (response, events) = await WatchAsync("prefix=w3/none/", timeout.Token);
        using (response)
        {
            var progress = new List<SseEvent>();
            while (progress.Count < 2 && await events.MoveNextAsync())
            {
                if (events.Current.Event == "progress")
                    progress.Add(events.Current);
            }

            Assert.All(progress, p => Assert.True(p.Json.GetProperty("revision").GetInt64() >= revision));
            Assert.All(progress, p => Assert.True(long.Parse(p.Id!) >= revision));
        }
    }

    [Fact]
    public async Task A_watch_older_than_the_kept_changes_gets_410_with_the_oldest_revision()
    {
        var first = await PutAsync("w4/0", "0");
        for (var i = 1; i <= 60; i++)
            await PutAsync($"w4/{i}", i.ToString());

        using var response = await Client.GetAsync($"/v1/watch?prefix=w4/&fromRevision={first}");

        var problem = await ProblemAsync(response, HttpStatusCode.Gone, "Changes no longer kept");
        var oldest = problem.GetProperty("oldestRevision").GetInt64();
        Assert.True(oldest > first);
        using var resumed = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/watch?prefix=w4/&fromRevision={oldest}"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
    }

    [Theory]
    [InlineData("fromRevision=0", "fromRevision must be a whole number, 1 or more")]
    [InlineData("fromRevision=x", "fromRevision must be a whole number")]
    [InlineData("fromRevision=1&fromRevision=2", "Give fromRevision once")]
    [InlineData("prefix=a&prefix=b", "Give prefix once")]
    [InlineData("consistency=eventual", "Unknown consistency level")]
    public async Task Bad_parameters_get_400(string query, string titleContains)
    {
        using var response = await Client.GetAsync($"/v1/watch?{query}");

        await ProblemAsync(response, HttpStatusCode.BadRequest, titleContains);
    }

    [Fact]
    public async Task A_bad_Last_Event_ID_gets_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/watch");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "-3");

        using var response = await Client.SendAsync(request);

        await ProblemAsync(response, HttpStatusCode.BadRequest, "Last-Event-ID must be one revision");
    }
}
