using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>What a VM does at first boot, as its cloud-init says it.</summary>
public sealed class FirstBootTests
{
    [Fact]
    [Trait("Item", "8")]
    public void Item08_TheServiceStartsOnlyOnTheMountedDataDisk()
    {
        Assert.Contains("ConditionPathIsMountPoint=/var/lib/geoledger", ImageScript.Unit.Split('\n'));
        foreach (var config in new[] { TestConfigs.Valid(), TestConfigs.Plain() })
        {
            var node = ClusterPlan.Build(config).Nodes.First();
            Assert.Equal([[CloudInit.FirstBootPath]], ClusterPlanTests.RunCommands(node.CloudInit));
            var firstBoot = Encoding.UTF8.GetString(ClusterPlanTests.CloudInitFiles(node.CloudInit)[CloudInit.FirstBootPath].Content);
            var lines = firstBoot.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // set -e: a failed step ends the script, so the restart runs only after the disk (and certificate) steps succeeded.
            Assert.Equal("set -euo pipefail", lines[2]);
            Assert.Equal(CloudInit.DataDiskScriptPath, lines[3]);
            Assert.Equal("systemctl restart geoledger", lines[^1]);
        }
    }

    [Fact]
    [Trait("Item", "13")]
    public void Item13_ReadsNeedTheSeparateReadToken()
    {
        var env = ClusterPlan.Build(TestConfigs.Valid()).Nodes.First().EnvFile.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("true", env["Ledger__RequireReadAuth"]);
        var tokens = Enumerable.Range(0, 2).ToDictionary(i => env[$"Ledger__ApiTokens__{i}__Token"], i => env[$"Ledger__ApiTokens__{i}__Access"]);
        Assert.Equal(new Dictionary<string, string> { ["token-0123456789abcdef"] = "write", ["reader-0123456789abcdef"] = "read" }, tokens);
    }

    [Fact]
    [Trait("Item", "15")]
    public void Item15_AcmeIsTheDefaultAndEachNodeAsksForItsOwnName()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { AcmeEmail = "ops@example.com" });
        Assert.Equal(TlsMode.Acme, plan.TlsMode);
        Assert.Equal(443, plan.ClientPort);
        foreach (var node in plan.Nodes)
        {
            Assert.Equal($"https://{node.Fqdn}/", node.PublicUrl.AbsoluteUri);
            Assert.Contains($"Ledger__TlsCertificateFile={EnvFile.AcmePemPath}\n", node.EnvFile);
            var files = ClusterPlanTests.CloudInitFiles(node.CloudInit);
            Assert.Equal(Encoding.UTF8.GetBytes(Scripts.CertObtain), files[CloudInit.CertObtainPath].Content);
            Assert.Equal(Encoding.UTF8.GetBytes(Scripts.CertDeploy), files[CloudInit.CertDeployPath].Content);
            var firstBoot = Encoding.UTF8.GetString(files[CloudInit.FirstBootPath].Content);
            Assert.Contains($"{CloudInit.CertObtainPath} '{node.Fqdn}' '{StackConfig.LetsEncrypt}' 'ops@example.com'\n", firstBoot);
            Assert.True(firstBoot.IndexOf(CloudInit.DataDiskScriptPath, StringComparison.Ordinal) < firstBoot.IndexOf(CloudInit.CertObtainPath, StringComparison.Ordinal));
        }

        // HTTP-01: the CA reaches port 80 from anywhere; the API keeps its own sources on 443.
        foreach (var region in plan.Regions)
        {
            Assert.Equal(["Internet"], Assert.Single(region.NsgRules, r => r.Port == 80 && r.Name != "allow-api-from-cluster").Sources);
            Assert.Equal(["203.0.113.0/24", "198.51.100.7/32"], Assert.Single(region.NsgRules, r => r.Port == 443 && r.Name != "allow-api-from-cluster").Sources);
        }
    }

    [Fact]
    [Trait("Item", "15")]
    public void Item15_ThePfxOptionStaysAndOpensNoPort80()
    {
        var (pfx, password) = TestCertificates.Pfx();
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { TlsPfx = pfx, TlsPfxPassword = password });
        Assert.Equal(TlsMode.Pfx, plan.TlsMode);
        Assert.DoesNotContain(plan.Regions[0].NsgRules, r => r.Port == 80 && r.Name != "allow-api-from-cluster");
        Assert.DoesNotContain(CloudInit.CertObtainPath, Encoding.UTF8.GetString(ClusterPlanTests.CloudInitFiles(plan.Nodes.First().CloudInit)[CloudInit.FirstBootPath].Content));
    }

    [Fact]
    [Trait("Item", "21")]
    public void Item21_CustomDataOver64KBIsRefused()
    {
        // A PFX carrying a long chain of RSA-4096 certificates (one key, to keep the test fast).
        const string password = "pfx-password-123";
        var chain = new X509Certificate2Collection();
        using var key = RSA.Create(4096);
        for (var i = 0; i < 60; i++)
        {
            var request = new CertificateRequest($"CN=geoledger-{i}.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            chain.Add(i == 0 ? cert : X509CertificateLoader.LoadCertificate(cert.RawData));
        }

        var big = Convert.ToBase64String(chain.Export(X509ContentType.Pkcs12, password)!);
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid() with { TlsPfx = big, TlsPfxPassword = password }));
        Assert.Equal("tlsPfx", e.Setting);
        Assert.Contains("over Azure's limit of 65535", e.Message);

        Assert.All(ClusterPlan.Build(TestConfigs.Valid()).Nodes, n => Assert.InRange(Encoding.UTF8.GetByteCount(n.CloudInit), 1, CloudInit.MaxBytes));
    }
}
