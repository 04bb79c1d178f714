using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GeoLedger.Infra.Tests.Plan;

internal static class TestCertificates
{
    /// <summary>A self-signed certificate as base64 PKCS#12, with its password.</summary>
    public static (string Pfx, string Password) Pfx()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=geoledger.test", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        const string password = "pfx-password-123";
        return (Convert.ToBase64String(cert.Export(X509ContentType.Pkcs12, password)), password);
    }
}
