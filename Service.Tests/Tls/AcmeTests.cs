using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.Tls;

/// <summary>
/// https without bringing a certificate, end to end on loopback: Debian's pebble is the ACME CA
/// (its challenge test server answers every DNS name with 127.0.0.1), the VM's own scripts run
/// certbot for HTTP-01, a real node serves the certificate, and a forced renewal reaches the running
/// node without a restart. test.sh runs it where pebble and certbot are installed (.ci/run installs them).
/// </summary>
[Trait("Category", "Acme")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AcmeTests : IAsyncLifetime
{
    private const string Name = "node0.geoledger.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();
    private readonly TestCertificates _pebbleTls = new("pebble test listener");
    private readonly List<Process> _services = [];
    private readonly int _acmePort = PortAllocator.Next();
    private readonly int _pebbleManagementPort = PortAllocator.Next();
    private readonly int _http01Port = PortAllocator.Next();
    private readonly int _dnsPort = PortAllocator.Next();
    private NodeProcess? _node;

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_folder.Path, name)).FullName;

    private string TlsDir => Dir("tls");

    private string PebbleBundle => Path.Combine(_folder.Path, "pebble-listener-ca.pem");

    public async Task InitializeAsync()
    {
        foreach (var tool in new[] { "pebble", "pebble-challtestsrv", "certbot", "curl" })
            Assert.True(OnPath(tool), $"{tool} is not installed: apt-get install pebble certbot curl (test.sh leaves this test out without them)");

        // Pebble's own https listener (the ACME directory) gets a certificate from a throwaway CA certbot trusts.
        var (_, listenerPem, listenerKey) = _pebbleTls.Server("localhost");
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, "pebble-cert.pem"), listenerPem + _pebbleTls.CaPem);
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, "pebble-key.pem"), listenerKey);
        await File.WriteAllTextAsync(PebbleBundle, _pebbleTls.RootPem);
        var config = new
        {
            pebble = new
            {
                listenAddress = $"127.0.0.1:{_acmePort}",
                managementListenAddress = $"127.0.0.1:{_pebbleManagementPort}",
                certificate = Path.Combine(_folder.Path, "pebble-cert.pem"),
                privateKey = Path.Combine(_folder.Path, "pebble-key.pem"),
                httpPort = _http01Port, // where pebble validates HTTP-01: certbot's own listener
                tlsPort = PortAllocator.Next(),
                ocspResponderURL = "",
                externalAccountBindingRequired = false,
            },
        };
        await File.WriteAllTextAsync(Path.Combine(_folder.Path, "pebble.json"), JsonSerializer.Serialize(config));

        Start("pebble-challtestsrv", ["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", $"127.0.0.1:{_dnsPort}",
            "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", $"127.0.0.1:{PortAllocator.Next()}"]);
        Start("pebble", ["-config", Path.Combine(_folder.Path, "pebble.json"), "-dnsserver", $"127.0.0.1:{_dnsPort}"],
            new() { ["PEBBLE_VA_NOSLEEP"] = "1", ["PEBBLE_WFE_NONCEREJECT"] = "0" });
        await Until(async () => (await Curl(["--cacert", PebbleBundle, $"https://127.0.0.1:{_acmePort}/dir"])).Code == 0, "pebble's ACME directory answers");
    }

    [Fact]
    [Trait("Item", "15")]
    public async Task Item15_ANodeGetsItsCertificateFromTheAcmeCaAndPicksUpARenewalWithoutARestart()
    {
        // First boot, as on a VM: the obtain script runs certbot, whose deploy hook writes node.pem.
        var obtain = await Run("bash", [Script("geoledger-cert-obtain.sh"), Name, $"https://127.0.0.1:{_acmePort}/dir", "", .. CertbotDirs()], CertbotEnvironment());
        Assert.True(obtain.Code == 0, obtain.Output);
        var pem = Path.Combine(TlsDir, "node.pem");
        Assert.True(File.Exists(pem), $"the deploy hook wrote no {pem}:\n{obtain.Output}");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(pem));

        var port = PortAllocator.Next();
        _node = await StartNode(port, pem);
        var pebbleRoot = Path.Combine(_folder.Path, "pebble-root.pem");
        var root = await Curl(["--cacert", PebbleBundle, "-o", pebbleRoot, $"https://127.0.0.1:{_pebbleManagementPort}/roots/0"]);
        Assert.True(root.Code == 0, root.Output);

        // curl trusts the node's certificate with nothing but pebble's root.
        var healthz = await Until(async () => await CurlNode(port, pebbleRoot), r => r.Code == 0, "the node serves https with pebble's certificate");
        Assert.Equal("200", healthz.Output.Trim());
        var first = await PresentedCertificate(port);
        Assert.Contains($"CN={Name}", first.Subject + " " + string.Join(",", first.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).Select(n => "CN=" + n)));
        var pid = _node.Pid;

        // certbot's timer would renew it (after a random sleep); force one now. The hook rewrites node.pem, the node reloads it.
        var renew = await Run("certbot", ["renew", "--force-renewal", "--no-random-sleep-on-renew", .. CertbotDirs()], CertbotEnvironment());
        Assert.True(renew.Code == 0, renew.Output);
        var second = await Until(() => PresentedCertificate(port), c => c.SerialNumber != first.SerialNumber, "the node serves the renewed certificate");

        Assert.Equal(pid, _node.Pid);
        Assert.True(_node.IsRunning, "the node was not restarted");
        Assert.True(second.NotBefore >= first.NotBefore);
        Assert.Equal(0, (await CurlNode(port, pebbleRoot)).Code);
    }

    private async Task<NodeProcess> StartNode(int port, string pem)
    {
        var member = new ClusterMember("node-0", "local", new Uri($"http://127.0.0.1:{PortAllocator.Next()}/"), new Uri($"https://127.0.0.1:{port}/"));
        var spec = new NodeSpec(member, Dir("node-0"));
        await File.WriteAllTextAsync(spec.NodeConfigPath, NodeConfigLoader.Render(new NodeConfig("node-0", [member])));
        // Clients address the node by its certificate's name; a node without tokens answers only names it is given.
        var node = new NodeProcess(spec, new Dictionary<string, string> { ["Ledger:TlsCertificateFile"] = pem, ["Ledger:AllowedHosts:0"] = Name });
        node.Start();
        return node;
    }

    private Task<(int Code, string Output)> CurlNode(int port, string root) =>
        Curl(["--cacert", root, "--resolve", $"{Name}:{port}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_code}", $"https://{Name}:{port}/healthz"]);

    private static async Task<X509Certificate2> PresentedCertificate(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Name });
        return new X509Certificate2(tls.RemoteCertificate!);
    }

    private string[] CertbotDirs() =>
        ["--config-dir", Dir("letsencrypt"), "--work-dir", Dir("certbot-work"), "--logs-dir", Dir("certbot-logs"),
         "--http-01-port", _http01Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-01-address", "127.0.0.1"];

    private Dictionary<string, string> CertbotEnvironment() => new()
    {
        ["REQUESTS_CA_BUNDLE"] = PebbleBundle,
        ["GEOLEDGER_CERTBOT_CONFIG_DIR"] = Dir("letsencrypt"),
        ["GEOLEDGER_CERT_DEPLOY_HOOK"] = Script("geoledger-cert-deploy.sh"),
        ["GEOLEDGER_CERT_ATTEMPTS"] = "1",
        ["GEOLEDGER_TLS_DIR"] = TlsDir,
        ["GEOLEDGER_TLS_GROUP"] = Environment.UserName == "root" ? "root" : Run("id", ["-gn"], []).GetAwaiter().GetResult().Output.Trim(),
    };

    private static string Script(string name) => Path.Combine(NodeBinary.RepositoryRoot(), "Infra", "Scripts", name);

    private static Task<(int Code, string Output)> Curl(IEnumerable<string> args) => Run("curl", ["-sS", "--fail", "--max-time", "10", .. args], []);

    private void Start(string file, IEnumerable<string> args, Dictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (k, v) in env ?? [])
            start.Environment[k] = v;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _services.Add(process);
    }

    private static async Task<(int Code, string Output)> Run(string file, IEnumerable<string> args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (k, v) in env)
            start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                var value = await probe();
                if (done(value))
                    return value;
                if (DateTime.UtcNow > deadline)
                    Assert.Fail($"not within {Patience}: {what} (last: {value})");
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException && DateTime.UtcNow <= deadline)
            {
            }

            await Task.Delay(100);
        }
    }

    private static Task Until(Func<Task<bool>> probe, string what) => Until(probe, ok => ok, what);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

    public async Task DisposeAsync()
    {
        if (_node is not null)
            await _node.DisposeAsync();
        foreach (var service in _services)
        {
            if (!service.HasExited)
            {
                service.Kill();
                await service.WaitForExitAsync();
            }

            service.Dispose();
        }

        _pebbleTls.Dispose();
        _folder.Dispose();
    }
}
