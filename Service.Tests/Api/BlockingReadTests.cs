using System.Diagnostics;
using System.Net;
using GeoLedger.Api;
using Microsoft.Extensions.DependencyInjection;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node whose blocking reads may wait at most 120 s.</summary>
public sealed class ShortWaitNodeFixture() : NodeFixture(new() { ["Ledger:MaxWaitSeconds"] = "120" });

/// <summary><c>GET /v1/kv/{key}?waitRevision=n&amp;timeout=...</c>: waits for a change, answers at the timeout, refuses bad values.</summary>
public sealed class BlockingReadTests(ShortWaitNodeFixture node) : IClassFixture<ShortWaitNodeFixture>
{
    private HttpClient Client => node.Client;

    private BlockingReads Waits => node.Factory.Services.GetRequiredService<BlockingReads>();

    private async Task<long> PutAsync(string key, string valueJson)
    {
        using var response = await Client.PutAsync($"/v1/kv/{key}", Value(valueJson));
        return await EntryAsync(response, key, valueJson);
    }

    /// <summary>The answer of a read that must not wait out its 60 s timeout.</summary>
    private static Task<HttpResponseMessage> WokenAsync(Task<HttpResponseMessage> read) => read.WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>Starts a blocking read and returns once the node has it waiting.</summary>
    private async Task<Task<HttpResponseMessage>> StartWaitingAsync(string path)
    {
        var before = Waits.Waiting;
        var read = Client.GetAsync(path);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Waits.Waiting <= before && !read.IsCompleted)
            await Task.Delay(10, deadline.Token);
        Assert.False(read.IsCompleted, $"the read answered without waiting: {(read.IsCompletedSuccessfully ? read.Result.StatusCode : read.Status)}");
        return read;
    }

    [Fact]
    public async Task A_read_waiting_past_the_keys_revision_answers_with_the_write_that_passes_it()
    {
        var first = await PutAsync("wait/a", "1");
        var read = await StartWaitingAsync($"/v1/kv/wait/a?waitRevision={first}&timeout=60s");

        await PutAsync("wait/other", "0"); // another key's change does not end the wait
        Assert.False(read.IsCompleted);
        var second = await PutAsync("wait/a", "2");

        using var response = await WokenAsync(read);
        Assert.Equal(second, await EntryAsync(response, "wait/a", "2"));
    }

    [Fact]
    public async Task A_read_of_a_key_already_past_the_revision_answers_at_once()
    {
        var revision = await PutAsync("wait/past", "1");

        using var response = await WokenAsync(Client.GetAsync($"/v1/kv/wait/past?waitRevision={revision - 1}&timeout=60s"));

        Assert.Equal(revision, await EntryAsync(response, "wait/past", "1"));
    }

    [Fact]
    public async Task At_the_timeout_the_key_is_answered_as_it_is()
    {
        var revision = await PutAsync("wait/still", "1");
        var clock = Stopwatch.StartNew();

        using var response = await Client.GetAsync($"/v1/kv/wait/still?waitRevision={revision}&timeout=300ms");

        Assert.Equal(revision, await EntryAsync(response, "wait/still", "1"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {clock.Elapsed}, before the timeout");
    }

    [Fact]
    public async Task A_waited_on_key_that_is_deleted_answers_404()
    {
        var revision = await PutAsync("wait/deleted", "1");
        var read = await StartWaitingAsync($"/v1/kv/wait/deleted?waitRevision={revision}&timeout=60s");

        using (var delete = await Client.DeleteAsync("/v1/kv/wait/deleted"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        using var response = await WokenAsync(read);
        await ProblemAsync(response, HttpStatusCode.NotFound, "Key not found");
    }

    [Fact]
    public async Task A_read_of_an_absent_key_answers_when_it_is_created()
    {
        var read = await StartWaitingAsync("/v1/kv/wait/created?waitRevision=0&timeout=60s");

        var revision = await PutAsync("wait/created", "\"new\"");

        using var response = await WokenAsync(read);
        Assert.Equal(revision, await EntryAsync(response, "wait/created", "\"new\""));
    }

    [Theory]
    [InlineData("waitRevision=-1", "waitRevision must be a whole number")]
    [InlineData("waitRevision=abc", "waitRevision must be a whole number")]
    [InlineData("waitRevision=1&waitRevision=2", "once each")]
    [InlineData("waitRevision=1&timeout=10x", "timeout must be a duration")]
    [InlineData("waitRevision=1&timeout=-5s", "timeout must be a duration")]
    [InlineData("waitRevision=1&timeout=1.5s", "timeout must be a duration")]
    [InlineData("waitRevision=1&timeout=121s", "timeout too long: wait at most 120s")]
    [InlineData("waitRevision=1&timeout=3m", "timeout too long")]
    [InlineData("timeout=1s", "timeout needs waitRevision")]
    public async Task Bad_wait_parameters_get_400_without_waiting(string query, string titleContains)
    {
        var clock = Stopwatch.StartNew();
        using var response = await Client.GetAsync($"/v1/kv/wait/bad?{query}");

        await ProblemAsync(response, HttpStatusCode.BadRequest, titleContains);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"answered after {clock.Elapsed}");
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("30", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("0s", 0)]
    public void Durations_are_whole_numbers_of_ms_s_or_m(string text, int milliseconds)
    {
        Assert.True(BlockingReads.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }
}
