using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GeoLedger.Tls;

/// <summary>How the client port speaks https.</summary>
public static class LedgerHttps
{
    /// <summary>
    /// https with the reloaded certificate when <c>Ledger:TlsCertificateFile</c> is set; otherwise
    /// Kestrel's configured default certificate (<c>Kestrel:Certificates:Default</c>, e.g. a PFX).
    /// </summary>
    public static ListenOptions UseLedgerHttps(this ListenOptions listen, CertificateReloader? certificates)
    {
        if (certificates is null)
            return listen.UseHttps();
        return listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            // Asked per handshake, so a reload reaches the next connection.
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificates.Current,
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            }),
        });
    }
}
