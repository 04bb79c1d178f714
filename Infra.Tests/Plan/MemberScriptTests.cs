using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeoLedger.Infra.Plan;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>
/// Runs the membership script a Run Command runs on a VM (<see cref="MemberSteps"/>) with python3
/// against stand-in members on loopback: it finds each member at the private address of its Raft URL,
/// follows the leader's 307, retries a 409, and sends the admin token only to members, never printing it.
/// </summary>
public sealed class MemberScriptTests : IAsyncLifetime
{
    private const string Admin = "admin-0123456789abcdef";
    private const string Reader = "reader-0123456789abcdef";
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("geoledger-member-");
    private readonly Dictionary<string, FakeMember> _members = [];

    public async Task InitializeAsync()
    {
        foreach (var id in new[] { "a-0", "b-0", "c-0" })
            _members[id] = await FakeMember.StartAsync(id);
    }

    public async Task DisposeAsync()
    {
        foreach (var m in _members.Values)
            await m.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    [Fact]
    public async Task AJoinerAsksAMemberFollowsTheLeaderAndRetriesAChangeInFlight()
    {
        // a-0 follows b-0 (the leader), which first answers 409: another change is in flight.
        _members["a-0"].Answer = _ => (307, null, _members["b-0"].Public + "v1/cluster/members");
        var conflicts = 0;
        _members["b-0"].Answer = r => Interlocked.Increment(ref conflicts) == 1
            ? (409, """{"title": "Another membership change is in flight: retry"}""", null)
            : (200, """{"members": [{"id": "a-0"}, {"id": "b-0"}, {"id": "c-0"}]}""", null);

        var run = await RunScript("c-0", join: true, members: ["a-0", "b-0", "c-0"], "member");

        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("c-0 is a voter; members: a-0, b-0, c-0", run.Output);
        var posts = _members["b-0"].Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p => Assert.Equal("Bearer " + Admin, p.Authorization));
        Assert.All(posts, p => Assert.Equal($"b-0.test:{_members["b-0"].Port}", p.Host));
        var body = JsonNode.Parse(posts[^1].Body)!;
        Assert.Equal(("c-0", "r", _members["c-0"].Raft, _members["c-0"].Public),
            ((string)body["id"]!, (string)body["region"]!, (string)body["raft"]!, (string)body["public"]!));
        Assert.DoesNotContain(Admin, run.Output);
        Assert.DoesNotContain(Reader, run.Output);
    }

    [Fact]
    public async Task TheTokenNeverGoesToAHostThatIsNotAMember()
    {
        _members["a-0"].Answer = _ => (307, null, "http://elsewhere.test:" + _members["b-0"].Port + "/v1/cluster/members");

        var run = await RunScript("c-0", join: true, members: ["a-0", "c-0"], "member");

        Assert.NotEqual(0, run.Code);
        Assert.Contains("elsewhere.test is not a member this node knows: the token is not sent there", run.Output);
        Assert.Contains("gave up at the deadline", run.Output);
        Assert.Empty(_members["b-0"].Requests);
    }

    [Fact]
    public async Task ARefusalFailsTheStepAtOnceWithTheProblemTitle()
    {
        _members["a-0"].Answer = _ => (403, """{"title": "Token without admin access: use a token with admin access"}""", null);

        var run = await RunScript("c-0", join: true, members: ["a-0", "c-0"], "member");

        Assert.NotEqual(0, run.Code);
        Assert.Contains("the cluster refused to add c-0: 403 Token without admin access", run.Output);
        Assert.Single(_members["a-0"].Requests);
    }

    [Fact]
    public async Task AFoundingNodeWaitsForTheLeaderWithTheReadToken()
    {
        var asked = 0;
        _members["a-0"].Cluster = () => Interlocked.Increment(ref asked) < 3
            ? """{"leader": null, "members": []}"""
            : """{"leader": {"id": "b-0"}, "members": []}""";

        var run = await RunScript("a-0", join: false, members: ["a-0", "b-0", "c-0"], "member");

        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("a-0 is a member; the leader is b-0", run.Output);
        Assert.All(_members["a-0"].Requests, r => Assert.Equal("Bearer " + Reader, r.Authorization));
        Assert.DoesNotContain(_members["a-0"].Requests, r => r.Method != "GET");
    }

    [Fact]
    public async Task ALeaveRunsOnAStayingMemberAndEndsWhenTheListNoLongerHoldsTheNode()
    {
        // a-0 (the operator) knows d-0, which joined after a-0's node config was written, only from /v1/cluster.
        var removed = false;
        _members["a-0"].Cluster = () => removed
            ? $$"""{"leader": {"id": "b-0"}, "members": [{{Json("a-0")}}, {{Json("b-0")}}]}"""
            : $$"""{"leader": {"id": "b-0"}, "members": [{{Json("a-0")}}, {{Json("b-0")}}, {{Json("c-0")}}]}""";
        _members["a-0"].Answer = _ => (307, null, _members["b-0"].Public + "v1/cluster/members/c-0");
        _members["b-0"].Answer = _ =>
        {
            removed = true;
            return (200, """{"members": [{"id": "a-0"}, {"id": "b-0"}]}""", null);
        };

        var run = await RunScript("a-0", join: false, members: ["a-0", "c-0"], "leave", "c-0");

        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("c-0 has left; members: a-0, b-0", run.Output);
        var delete = Assert.Single(_members["b-0"].Requests, r => r.Method == "DELETE");
        Assert.Equal(("/v1/cluster/members/c-0", "Bearer " + Admin), (delete.Path, delete.Authorization));
        Assert.Empty(_members["c-0"].Requests);
    }

    private string Json(string id) => JsonSerializer.Serialize(new { id, region = "r", raft = _members[id].Raft, @public = _members[id].Public });

    private async Task<(int Code, string Output)> RunScript(string self, bool join, string[] members, params string[] args)
    {
        var config = new JsonObject
        {
            ["self"] = self,
            ["members"] = new JsonArray(members.Select(id => JsonNode.Parse(Json(id))).ToArray()),
        };
        if (join)
            config["join"] = true;
        var configPath = Path.Combine(_temp.FullName, "node.json");
        var envPath = Path.Combine(_temp.FullName, "env");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());
        await File.WriteAllTextAsync(envPath, $"Ledger__ApiTokens__0__Token=token-0123456789abcdef\nLedger__ApiTokens__0__Access=write\nLedger__ApiTokens__1__Token={Reader}\nLedger__ApiTokens__1__Access=read\nLedger__ApiTokens__2__Token={Admin}\nLedger__ApiTokens__2__Access=admin\n");

        var start = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["GEOLEDGER_NODE_CONFIG"] = configPath;
        start.Environment["GEOLEDGER_ENV_FILE"] = envPath;
        start.Environment["GEOLEDGER_RETRY_SECONDS"] = "0.05";
        start.Environment["GEOLEDGER_TIMEOUT_SECONDS"] = "5";
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(Scripts.Member);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A member's client API on loopback: public URL <c>http://{id}.test:{port}/</c>, Raft URL host 127.0.0.1.</summary>
    private sealed class FakeMember : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeMember(WebApplication app, int port, string id)
        {
            _app = app;
            Port = port;
            Public = $"http://{id}.test:{port}/";
            Raft = "http://127.0.0.1:3262/";
        }

        public int Port { get; }

        public string Public { get; }

        public string Raft { get; }

        public ConcurrentQueue<(string Method, string Path, string Host, string Authorization, string Body)> Requests { get; } = new();

        public Func<HttpRequest, (int Status, string? Body, string? Location)> Answer { get; set; } = _ => (503, """{"title": "No leader"}""", null);

        public Func<string> Cluster { get; set; } = () => """{"leader": null, "members": []}""";

        public static async Task<FakeMember> StartAsync(string id)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            FakeMember? member = null;
            app.Run(async context =>
            {
                var request = context.Request;
                var body = await new StreamReader(request.Body).ReadToEndAsync();
                member!.Requests.Enqueue((request.Method, request.Path.Value ?? "", request.Host.Value ?? "", request.Headers.Authorization.ToString(), body));
                var (status, text, location) = request.Method == "GET" && request.Path == "/v1/cluster" ? (200, member.Cluster(), null) : member.Answer(request);
                context.Response.StatusCode = status;
                if (location is not null)
                    context.Response.Headers.Location = location;
                if (text is not null)
                {
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(text);
                }
            });
            await app.StartAsync();
            var port = new Uri(app.Urls.First()).Port;
            member = new FakeMember(app, port, id);
            return member;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
