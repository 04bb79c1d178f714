using System.Diagnostics;
using System.Net;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Operate;

/// <summary>
/// The status page in a real browser (Debian's chromium, headless, driven by Playwright) against a real 3-node
/// cluster whose reads need a token: it asks for the token, shows the members and the leader, browses keys, and
/// after the leader (the node that served the page) is killed shows the new leader within 5 s.
/// Screenshots go to <c>artifacts/status-page/</c> in the repository.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class StatusPageBrowserTests(ITestOutputHelper output)
{
    /// <summary>Where a test run may name the browser; otherwise the Debian and Ubuntu paths are tried.</summary>
    private const string ChromiumVariable = "GEOLEDGER_CHROMIUM";

    private static string? FindChromium() =>
        new[] { Environment.GetEnvironmentVariable(ChromiumVariable), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(path => !string.IsNullOrEmpty(path) && File.Exists(path));

    private async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(NodeBinary.RepositoryRoot(), "artifacts", "status-page", name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>
    /// Waits until the page names the leader that every running node in <paramref name="among"/> agrees on (on two
    /// shared cores an election can happen while the browser starts) and returns it.
    /// </summary>
    private static async Task<NodeProcess> LeaderShownAsync(IPage page, LocalClusterNodes nodes, IReadOnlyCollection<NodeProcess> among)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var agreed = await nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(10), among);
            var shown = await page.Locator("#leader").TextContentAsync();
            if (shown == agreed.Id)
                return agreed;
            if (deadline.Elapsed > TimeSpan.FromSeconds(15))
                throw new Xunit.Sdk.XunitException($"the page names '{shown}' as leader; the nodes agree on {agreed.Id}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_page_shows_the_leader_and_after_the_leader_is_killed_the_new_one_within_5_seconds()
    {
        var chromium = FindChromium()
            ?? throw new Xunit.Sdk.XunitException($"chromium is not installed, so the status page was not tested in a browser: apt-get install chromium (or set {ChromiumVariable}); .ci/run installs it.");

        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["Ledger:ApiTokens:0:Token"] = "ui-write",
            ["Ledger:ApiTokens:0:Access"] = "write",
            ["Ledger:ApiTokens:1:Token"] = "ui-read",
            ["Ledger:ApiTokens:1:Access"] = "read",
            ["Ledger:RequireReadAuth"] = "true",
        }, bearerToken: "ui-write");
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            foreach (var (key, value) in new[] { ("ui/orders/1", """{"item":"tea","qty":2}"""), ("ui/orders/2", """{"item":"cake","qty":1}"""), ("ui/greeting", "\"hello\"") })
            {
                using var put = await KvClient.PutAsync(cluster.Nodes.Http, leader.PublicUrl, key, value);
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox"], // CI runs as root, where chromium's sandbox refuses to start
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
            var consoleErrors = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal)) consoleErrors.Add(message.Text); };

            // Served by the leader; reads need a token, so the page says so until it has one.
            await page.GotoAsync(new Uri(leader.PublicUrl, "/ui").AbsoluteUri);
            await Assertions.Expect(page.Locator("#cluster-error")).ToContainTextAsync("read token", new() { Timeout = 10_000 });
            await page.FillAsync("#token", "ui-read");
            await page.ClickAsync("#token-form button");

            leader = await LeaderShownAsync(page, cluster.Nodes, cluster.Nodes.Nodes);
            await Assertions.Expect(page.Locator("#members tbody tr")).ToHaveCountAsync(3, new() { Timeout = 10_000 });
            await Assertions.Expect(page.Locator($"#members tr[data-member='{leader.Id}']")).ToHaveAttributeAsync("data-role", "leader");
            foreach (var follower in cluster.Nodes.Nodes.Where(n => n != leader))
                await Assertions.Expect(page.Locator($"#members tr[data-member='{follower.Id}']")).ToHaveAttributeAsync("data-role", "follower");
            var changesSeen = await page.Locator("#changes li").CountAsync();
            Assert.True(changesSeen >= 1, "the page lists the leader it found");

            // The key browser: a prefix search, then a value.
            await page.FillAsync("#prefix", "ui/orders/");
            await page.ClickAsync("#search button");
            await Assertions.Expect(page.Locator("#keys tbody tr")).ToHaveCountAsync(2, new() { Timeout = 5_000 });
            await page.Locator("#keys tbody tr", new() { HasText = "ui/orders/1" }).ClickAsync();
            await Assertions.Expect(page.Locator("#value")).ToContainTextAsync("\"item\": \"tea\"");
            await Assertions.Expect(page.Locator("#value-revision")).ToContainTextAsync("revision ");
            await ScreenshotAsync(page, "leader");

            // Kill the leader, which served the page: the page keeps polling the others and names the new leader.
            var killed = Stopwatch.StartNew();
            await leader.KillAsync();
            await page.WaitForFunctionAsync(
                "old => { const t = document.getElementById('leader').textContent; return t !== old && t.startsWith('node-'); }",
                leader.Id,
                new PageWaitForFunctionOptions { Timeout = 5_000, PollingInterval = 50 });
            var shownAfter = killed.Elapsed;
            var shown = await page.Locator("#leader").TextContentAsync();
            output.WriteLine($"the page named {shown} {shownAfter.TotalMilliseconds:0} ms after {leader.Id} was killed");
            var survivors = cluster.Nodes.Nodes.Where(n => n != leader).ToList();
            var newLeader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(10), survivors);
            Assert.Equal(newLeader.Id, shown);
            Assert.True(shownAfter < TimeSpan.FromSeconds(5), $"the new leader showed after {shownAfter.TotalMilliseconds:0} ms");
            await Assertions.Expect(page.Locator($"#members tr[data-member='{leader.Id}']")).ToHaveAttributeAsync("data-role", "unreachable");
            await Assertions.Expect(page.Locator("#changes li")).ToHaveCountAsync(changesSeen + 1);
            foreach (var survivor in survivors)
                await Assertions.Expect(page.Locator($"#members tr[data-member='{survivor.Id}'] td:nth-child(4)")).ToHaveTextAsync("ready", new() { Timeout = 10_000 });
            await ScreenshotAsync(page, "after-leader-killed");
            Assert.Empty(consoleErrors);
        });
    }
}
