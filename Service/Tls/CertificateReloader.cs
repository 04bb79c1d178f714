using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GeoLedger.Tls;

/// <summary>
/// The client port's certificate from one PEM file (certificate, chain, private key), as certbot's
/// deploy hook writes it: loaded at start, and again whenever the file changes, so a renewed
/// certificate is served from the next handshake on without a restart.
/// </summary>
public sealed class CertificateReloader
{
    private SslStreamCertificateContext _current;
    private (DateTime Written, long Length) _stamp;

    private CertificateReloader(string path, SslStreamCertificateContext current, (DateTime, long) stamp)
    {
        Path = path;
        _current = current;
        _stamp = stamp;
    }

    /// <summary>The PEM file.</summary>
    public string Path { get; }

    /// <summary>What each new TLS handshake presents.</summary>
    public SslStreamCertificateContext Current => Volatile.Read(ref _current);

    /// <summary>The certificate now served.</summary>
    public X509Certificate2 Certificate => Current.TargetCertificate;

    /// <summary>A reloader for <c>Ledger:TlsCertificateFile</c>, or null when it is not set.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or holds no certificate with its key.</exception>
    public static CertificateReloader? FromSetting(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return null;
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            var stamp = Stamp(full);
            return new CertificateReloader(full, Load(full), stamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Ledger:TlsCertificateFile '{full}' cannot be used: {e.Message}. It must be a PEM file holding the certificate, its chain and its private key (as geoledger-cert-deploy writes it).", e);
        }
    }

    /// <summary>Loads the file again if it changed since the last load.</summary>
    /// <returns>True when a new certificate is now served; false when the file is unchanged.</returns>
    /// <exception cref="IOException">The file cannot be read now (the old certificate stays).</exception>
    /// <exception cref="CryptographicException">The file holds no usable certificate and key (the old certificate stays).</exception>
    public bool ReloadIfChanged()
    {
        var stamp = Stamp(Path);
        if (stamp == _stamp)
            return false;
        var next = Load(Path);
        Volatile.Write(ref _current, next);
        _stamp = stamp;
        return true;
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"'{path}' does not exist", path);
        return (info.LastWriteTimeUtc, info.Length);
    }

    private static SslStreamCertificateContext Load(string path)
    {
        var pem = File.ReadAllText(path);
        // The first certificate is the node's, with the key; the others are its chain.
        using var ephemeral = X509Certificate2.CreateFromPem(pem, pem);
        var leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(pem);
        var chain = new X509Certificate2Collection();
        foreach (var cert in all.Skip(1))
            chain.Add(cert);
        return SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }
}
