using System.Diagnostics;
using System.Net;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node whose reads wait at most 300 ms for their revision or barrier.</summary>
public sealed class ShortReadTimeoutNodeFixture() : NodeFixture(new() { ["Ledger:ReadTimeoutMs"] = "300" });

/// <summary>
/// Read your writes: every write's answer carries <c>X-GeoLedger-Revision</c>, and <c>?minRevision=n</c> reads once the
/// node has applied <c>n</c> (503 after Ledger:ReadTimeoutMs otherwise); bad values are 400. The multi-node side (a follower
/// held behind) is <c>MultiNode/MinRevisionReadTests</c>.
/// </summary>
public sealed class MinRevisionTests(ShortReadTimeoutNodeFixture node) : IClassFixture<ShortReadTimeoutNodeFixture>
{
    private HttpClient Client => node.Client;

    private static long RevisionHeader(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("X-GeoLedger-Revision", out var values), $"{(int)response.StatusCode} has no X-GeoLedger-Revision");
        return long.Parse(Assert.Single(values), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Every_applied_write_answers_the_store_revision_after_it()
    {
        using var put = await Client.PutAsync("/v1/kv/minrev/a", Value("1"));
        var revision = await EntryAsync(put, "minrev/a", "1");
        Assert.Equal(revision, RevisionHeader(put)); // one write per entry: the key's revision is the store's

        using var cas = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/minrev/a") { Content = Value("2") };
        cas.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        using var failed = await Client.SendAsync(cas);
        await ProblemAsync(failed, HttpStatusCode.PreconditionFailed);
        Assert.True(RevisionHeader(failed) > revision, "a failed compare-and-set is an applied entry too");

        using var txn = await Client.PostAsync("/v1/txn", Json("""{"success":[{"put":{"key":"minrev/b","value":3}}]}"""));
        var txnRevision = (await BodyAsync(txn)).GetProperty("revision").GetInt64();
        Assert.Equal(txnRevision, RevisionHeader(txn));

        using var delete = await Client.DeleteAsync("/v1/kv/minrev/b");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.True(RevisionHeader(delete) > txnRevision);
        using var absent = await Client.DeleteAsync("/v1/kv/minrev/b");
        await ProblemAsync(absent, HttpStatusCode.NotFound);
        Assert.True(RevisionHeader(absent) > RevisionHeader(delete));

        using var article = await Client.PutAsync("/4711", Json("""{"state":"x"}"""));
        Assert.Equal(HttpStatusCode.OK, article.StatusCode);
        Assert.True(RevisionHeader(article) > RevisionHeader(absent));

        using var badWrite = await Client.PutAsync("/v1/kv/minrev/a", Json("""{"nope":1}"""));
        await ProblemAsync(badWrite, HttpStatusCode.BadRequest);
        Assert.False(badWrite.Headers.Contains("X-GeoLedger-Revision"), "a write that was never applied has no revision");
    }

    [Fact]
    public async Task A_read_at_a_revision_the_node_has_applied_answers_at_once_from_local_state()
    {
        using var put = await Client.PutAsync("/v1/kv/minrev/c", Value("\"c\""));
        var revision = RevisionHeader(put);
        foreach (var path in new[] { $"/v1/kv/minrev/c?minRevision={revision}", $"/v1/kv/minrev/c?minRevision={revision}&consistency=local", "/v1/kv/minrev/c?minRevision=0" })
        {
            using var read = await Client.GetAsync(path);
            await EntryAsync(read, "minrev/c", "\"c\"");
        }

        using var list = await Client.GetAsync($"/v1/kv?prefix=minrev/c&minRevision={revision}");
        Assert.Equal("minrev/c", Assert.Single((await BodyAsync(list)).GetProperty("items").EnumerateArray()).GetProperty("key").GetString());
        using var article = await Client.GetAsync($"/4711?minRevision={revision}");
        Assert.Equal(HttpStatusCode.OK, article.StatusCode);
    }

    [Fact]
    public async Task A_revision_the_node_does_not_reach_in_time_is_503_with_retry_after_saying_it_is_behind()
    {
        using var put = await Client.PutAsync("/v1/kv/minrev/d", Value("1"));
        var ahead = RevisionHeader(put) + 1_000_000;
        foreach (var path in new[] { $"/v1/kv/minrev/d?minRevision={ahead}", $"/v1/kv?prefix=minrev/&minRevision={ahead}", $"/v1/kv/minrev/d?minRevision={ahead}&waitRevision=0&timeout=10s" })
        {
            var started = Stopwatch.GetTimestamp();
            using var read = await Client.GetAsync(path);
            var problem = await ProblemAsync(read, HttpStatusCode.ServiceUnavailable, "behind");
            Assert.NotNull(read.Headers.RetryAfter);
            Assert.Contains(ahead.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(250), "the read answered before Ledger:ReadTimeoutMs (300 ms) passed");
        }
    }

    [Fact]
    public async Task A_read_waiting_for_a_revision_answers_once_the_write_is_applied()
    {
        using var first = await Client.PutAsync("/v1/kv/minrev/e", Value("1"));
        var next = RevisionHeader(first) + 1;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // Each attempt waits up to 300 ms for the next revision, which the write below makes.
        var read = Task.Run(async () =>
        {
            while (true)
            {
                var response = await Client.GetAsync($"/v1/kv/minrev/e?minRevision={next}", timeout.Token);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    return response;
                response.Dispose();
            }
        });
        using var second = await Client.PutAsync("/v1/kv/minrev/e", Value("2"));
        Assert.Equal(next, RevisionHeader(second));
        using var answer = await read;
        await EntryAsync(answer, "minrev/e", "2");
    }

    [Theory]
    [InlineData("minRevision=-1", "whole number")]
    [InlineData("minRevision=abc", "whole number")]
    [InlineData("minRevision=1.5", "whole number")]
    [InlineData("minRevision=", "whole number")]
    [InlineData("minRevision=99999999999999999999", "whole number")]
    [InlineData("minRevision=1&minRevision=2", "once")]
    [InlineData("minRevision=1&consistency=linearizable", "not both")]
    [InlineData("minRevision=1&consistency=LINEARIZABLE", "not both")]
    public async Task Bad_minRevision_is_400_and_says_what_to_fix(string query, string title)
    {
        foreach (var path in new[] { $"/v1/kv/minrev/f?{query}", $"/v1/kv?{query}", $"/1?{query}" })
        {
            using var read = await Client.GetAsync(path);
            await ProblemAsync(read, HttpStatusCode.BadRequest, title);
        }
    }
}
