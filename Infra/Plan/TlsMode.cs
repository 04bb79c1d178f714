namespace GeoLedger.Infra.Plan;

/// <summary>How the client API is served.</summary>
public enum TlsMode
{
    /// <summary>Plain http on port 80 (<c>tls: off</c>): only to the narrow <c>clientCidrs</c>.</summary>
    Off,

    /// <summary>https on 443 with a certificate per node from an ACME CA, HTTP-01 on port 80 (the default).</summary>
    Acme,

    /// <summary>https on 443 with the stack's own PKCS#12 certificate (<c>tlsPfx</c>).</summary>
    Pfx,
}
