using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace GeoLedger.Tests.Tls;

/// <summary>A throwaway root CA, an intermediate it signs, and server certificates the intermediate signs, as PEM text.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string name = "GeoLedger test CA")
    {
        var root = new CertificateRequest($"CN={name} root", _rootKey, HashAlgorithmName.SHA256);
        root.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        root.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = root.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var intermediate = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        intermediate.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediate.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var signed = intermediate.Create(Root, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddDays(6), [1, 2, 3, 4]);
        Ca = signed.CopyWithPrivateKey(_caKey);
    }

    public X509Certificate2 Root { get; }

    /// <summary>The intermediate that signs server certificates.</summary>
    public X509Certificate2 Ca { get; }

    public string RootPem => Root.ExportCertificatePem() + "\n";

    public string CaPem => Ca.ExportCertificatePem() + "\n";

    /// <summary>A server certificate for <paramref name="dnsName"/> (and 127.0.0.1): its PEM and its key's PEM.</summary>
    public (X509Certificate2 Certificate, string CertificatePem, string KeyPem) Server(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        var cert = request.Create(Ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(3), serial);
        return (cert, cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>The file certbot's deploy hook writes: the certificate, its chain, then its key.</summary>
    public string NodePem(string dnsName, out X509Certificate2 certificate)
    {
        var (cert, pem, key) = Server(dnsName);
        certificate = cert;
        return new StringBuilder().Append(pem).Append(CaPem).Append(key).ToString();
    }

    public void Dispose()
    {
        Ca.Dispose();
        Root.Dispose();
        _caKey.Dispose();
        _rootKey.Dispose();
    }
}
