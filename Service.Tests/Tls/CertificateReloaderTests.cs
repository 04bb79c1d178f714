using GeoLedger.Tls;

namespace GeoLedger.Tests.Tls;

public sealed class CertificateReloaderTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly TestCertificates _ca = new();

    private string File(string name) => Path.Combine(_folder.Path, name);

    [Fact]
    public void NoSettingMeansKestrelsOwnCertificate() => Assert.Null(CertificateReloader.FromSetting(null));

    [Fact]
    public void ItServesTheFilesCertificateWithItsChain()
    {
        System.IO.File.WriteAllText(File("node.pem"), _ca.NodePem("node0.test", out var cert));
        var reloader = CertificateReloader.FromSetting(File("node.pem"))!;

        Assert.Equal(cert.Thumbprint, reloader.Certificate.Thumbprint);
        Assert.True(reloader.Certificate.HasPrivateKey);
        Assert.Equal([_ca.Ca.Thumbprint], reloader.Current.IntermediateCertificates.Select(c => c.Thumbprint));
    }

    [Fact]
    public void ANewFileIsServedAndAnUnchangedOneIsNotLoadedAgain()
    {
        System.IO.File.WriteAllText(File("node.pem"), _ca.NodePem("node0.test", out var first));
        var reloader = CertificateReloader.FromSetting(File("node.pem"))!;
        Assert.False(reloader.ReloadIfChanged());

        // As the deploy hook does: a new file renamed over the old one.
        System.IO.File.WriteAllText(File("next.pem"), _ca.NodePem("node0.test", out var second));
        System.IO.File.SetLastWriteTimeUtc(File("next.pem"), DateTime.UtcNow.AddSeconds(5));
        System.IO.File.Move(File("next.pem"), File("node.pem"), overwrite: true);

        Assert.True(reloader.ReloadIfChanged());
        Assert.Equal(second.Thumbprint, reloader.Certificate.Thumbprint);
        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public void ABrokenFileKeepsTheCertificateServed()
    {
        System.IO.File.WriteAllText(File("node.pem"), _ca.NodePem("node0.test", out var first));
        var reloader = CertificateReloader.FromSetting(File("node.pem"))!;

        var (_, certOnly, _) = _ca.Server("node0.test");
        System.IO.File.WriteAllText(File("node.pem"), certOnly); // no key
        System.IO.File.SetLastWriteTimeUtc(File("node.pem"), DateTime.UtcNow.AddSeconds(5));

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => reloader.ReloadIfChanged());
        Assert.Equal(first.Thumbprint, reloader.Certificate.Thumbprint);
    }

    [Fact]
    public void AMissingFileStopsTheNodeWithAMessageNamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => CertificateReloader.FromSetting(File("absent.pem")));
        Assert.Contains("Ledger:TlsCertificateFile", e.Message);
        Assert.Contains("absent.pem", e.Message);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _folder.Dispose();
    }
}
