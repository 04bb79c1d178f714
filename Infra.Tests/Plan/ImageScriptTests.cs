using System.Diagnostics;
using System.Net;
using System.Text;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class ImageScriptTests
{
    private static readonly Uri BlobUrl = new("https://gl0123456789.blob.core.windows.net/images/geoledger-0123.tar.gz");
    private const string IdentityId = "/subscriptions/s/resourceGroups/gl-dev-image/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gl-imagebuild-vm";

    [Fact]
    public void TheUnitRunsTheServiceAsItsUserWithTheRequiredSettings()
    {
        var lines = ImageScript.Unit.Split('\n');
        foreach (var expected in new[]
        {
            "ExecStart=/opt/geoledger/GeoLedger", "User=geoledger", "EnvironmentFile=/etc/geoledger/env",
            "ConditionPathExists=/etc/geoledger/node.json", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "Restart=always", "RequiresMountsFor=/var/lib/geoledger", "WantedBy=multi-user.target",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    [Fact]
    [Trait("Item", "18")]
    public void Item18_TheUnitIsHardened()
    {
        var lines = ImageScript.Unit.Split('\n');
        foreach (var expected in new[]
        {
            "ProtectSystem=strict", "ReadWritePaths=/var/lib/geoledger", "ProtectHome=true", "PrivateDevices=true", "PrivateTmp=true",
            "ProtectKernelTunables=true", "ProtectKernelModules=true", "ProtectKernelLogs=true", "ProtectControlGroups=true",
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK", "SystemCallFilter=@system-service",
            "SystemCallErrorNumber=EPERM", "UMask=0077", "LimitNOFILE=65536", "NoNewPrivileges=true",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        })
        {
            Assert.Contains(expected, lines);
        }

        Assert.DoesNotContain(lines, l => l.StartsWith("ProtectSystem=full", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("MemoryDenyWriteExecute", StringComparison.Ordinal)); // the JIT writes code
    }

    [Fact]
    [Trait("Item", "18")]
    public async Task Item18_SystemdAcceptsEveryDirectiveOfTheUnit()
    {
        Assert.True(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is missing: apt-get install systemd");
        var dir = Directory.CreateTempSubdirectory("geoledger-unit-");
        try
        {
            // The binary does not exist here; everything else is the unit as shipped.
            var unit = ImageScript.Unit.Replace("/opt/geoledger/GeoLedger", "/bin/true", StringComparison.Ordinal);
            var path = Path.Combine(dir.FullName, "geoledger.service");
            await File.WriteAllTextAsync(path, unit);
            var (code, output) = await Run("systemd-analyze", ["verify", "--man=no", path]);
            var complaints = output.Split('\n').Where(l => l.Contains("geoledger.service", StringComparison.Ordinal)).ToList();
            Assert.True(complaints.Count == 0, $"systemd-analyze verify (exit {code}):\n{output}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    [Trait("Item", "10")]
    public void Item10_TheServiceUserHasAFixedUidAndGid()
    {
        var script = ImageScript.Install(BlobUrl, new string('a', 64), IdentityId);
        Assert.Contains($"groupadd --system --gid {ImageScript.ServiceUid} geoledger", script);
        Assert.Contains($"useradd --system --uid {ImageScript.ServiceUid} --gid {ImageScript.ServiceUid}", script);
        Assert.Contains($"if [ \"$(id -u geoledger)\" != {ImageScript.ServiceUid} ]", script);
        Assert.DoesNotContain("useradd --system --home-dir", script);
    }

    [Fact]
    public void TheInstallScriptDownloadsWithTheBuildVmIdentityChecksTheArchiveAndInstallsTheUnit()
    {
        var script = ImageScript.Install(BlobUrl, new string('a', 64), IdentityId);

        Assert.StartsWith("#!/bin/bash\n", script);
        Assert.Contains("set -euo pipefail\n", script);
        Assert.Contains("msi_res_id=" + IdentityId, script);
        Assert.Contains($"fetch_archive \"$imds\" '{BlobUrl.AbsoluteUri}' \"$archive\" 600 20", script);
        Assert.Contains($"echo '{new string('a', 64)}  /tmp/geoledger.tar.gz' | sha256sum -c -", script);
        Assert.Contains("install -y -q certbot", script);
        Assert.Contains(ImageScript.Unit + "UNIT\n", script);
        Assert.Contains("systemctl enable geoledger.service", script);
        Assert.DoesNotContain("\r", script);

        var inline = ImageScript.Inline(script);
        var b64 = inline[0].Split('\'')[1];
        Assert.Equal(script, Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
        Assert.Equal("sudo bash /tmp/install-geoledger.sh", inline[1]);
    }

    [Fact]
    [Trait("Item", "5")]
    public async Task Item05_TheDownloadRetries403UntilTheRoleAssignmentArrives()
    {
        await using var server = await FakeStorage.StartAsync(forbiddenAnswers: 3);
        var output = Path.Combine(Path.GetTempPath(), $"geoledger-fetch-{Guid.NewGuid():N}");
        try
        {
            var (code, log) = await Run("bash", ["-c", $"set -euo pipefail\n{ImageScript.FetchFunction}fetch_archive \"$1\" \"$2\" \"$3\" 60 0.05", "fetch", server.TokenUrl, server.BlobUrl, output]);

            Assert.True(code == 0, log);
            Assert.Equal(FakeStorage.Archive, await File.ReadAllBytesAsync(output));
            Assert.Equal(4, server.BlobRequests);
            Assert.Equal(3, log.Split('\n').Count(l => l.Contains("answered 403", StringComparison.Ordinal)));
            Assert.All(server.Authorizations, a => Assert.Equal("Bearer token-from-imds", a));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    [Trait("Item", "5")]
    public async Task Item05_TheDownloadGivesUpAtItsDeadline()
    {
        await using var server = await FakeStorage.StartAsync(forbiddenAnswers: int.MaxValue);
        var output = Path.Combine(Path.GetTempPath(), $"geoledger-fetch-{Guid.NewGuid():N}");
        var (code, log) = await Run("bash", ["-c", $"{ImageScript.FetchFunction}fetch_archive \"$1\" \"$2\" \"$3\" 0 0.2", "fetch", server.TokenUrl, server.BlobUrl, output]);
        File.Delete(output);

        Assert.NotEqual(0, code);
        Assert.Contains("still answers 403; giving up", log);
        Assert.Equal(1, server.BlobRequests);
    }

    internal static async Task<(int Code, string Output)> Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>IMDS and a blob on loopback: the blob answers 403 a given number of times, then the archive.</summary>
    private sealed class FakeStorage : IAsyncDisposable
    {
        public static readonly byte[] Archive = Encoding.UTF8.GetBytes("the service archive");
        private readonly HttpListener _listener;
        private readonly Task _loop;
        private int _forbidden;

        private FakeStorage(HttpListener listener, int port, int forbidden)
        {
            _listener = listener;
            _forbidden = forbidden;
            TokenUrl = $"http://127.0.0.1:{port}/metadata/identity/oauth2/token?api-version=2018-02-01";
            BlobUrl = $"http://127.0.0.1:{port}/images/geoledger.tar.gz";
            _loop = Task.Run(ServeAsync);
        }

        public string TokenUrl { get; }

        public string BlobUrl { get; }

        public int BlobRequests { get; private set; }

        public List<string> Authorizations { get; } = [];

        public static Task<FakeStorage> StartAsync(int forbiddenAnswers)
        {
            for (var attempt = 0; ; attempt++)
            {
                // A port the kernel picks is in its ephemeral range, where the tests' PortAllocator hands out none.
                var port = FreeEphemeralPort();
                var listener = new HttpListener();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try
                {
                    listener.Start();
                    return Task.FromResult(new FakeStorage(listener, port, forbiddenAnswers));
                }
                catch (HttpListenerException) when (attempt < 20)
                {
                    listener.Close();
                }
            }
        }

        private static int FreeEphemeralPort()
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var response = context.Response;
                if (context.Request.Url!.AbsolutePath.StartsWith("/metadata/", StringComparison.Ordinal))
                {
                    response.StatusCode = context.Request.Headers["Metadata"] == "true" ? 200 : 400;
                    await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("""{"access_token":"token-from-imds","expires_in":"3599"}"""));
                }
                else
                {
                    BlobRequests++;
                    Authorizations.Add(context.Request.Headers["Authorization"] ?? "");
                    if (_forbidden > 0)
                    {
                        _forbidden--;
                        response.StatusCode = 403;
                    }
                    else
                    {
                        await response.OutputStream.WriteAsync(Archive);
                    }
                }

                response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
