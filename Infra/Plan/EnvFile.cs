using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// <c>/etc/geoledger/env</c>: the systemd <c>EnvironmentFile</c> of the service (mode 0600), read
/// by ASP.NET Core's environment configuration (<c>__</c> stands for <c>:</c>).
/// </summary>
public static class EnvFile
{
    /// <summary>Path of the node config on a VM.</summary>
    public const string NodeConfigPath = "/etc/geoledger/node.json";

    /// <summary>Path of this file on a VM.</summary>
    public const string Path = "/etc/geoledger/env";

    /// <summary>Mount point of the data disk, the service's data directory.</summary>
    public const string DataDirectory = "/var/lib/geoledger";

    /// <summary>Path of the TLS certificate on a VM (when <c>tlsPfx</c> is set).</summary>
    public const string TlsPfxPath = "/etc/geoledger/tls.pfx";

    /// <summary>The PEM file (certificate, chain, key) certbot's deploy hook writes and the node reloads (ACME).</summary>
    public const string AcmePemPath = "/etc/geoledger/tls/node.pem";

    /// <summary>The file's lines, in order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Entries(
        string apiToken, string readToken, string clusterSecret, RaftTimeouts timeouts, TlsMode tls, string? tlsPfxPassword, string? adminToken = null)
    {
        var entries = new List<KeyValuePair<string, string>>
        {
            new("Ledger__NodeConfig", NodeConfigPath),
            new("Ledger__DataDirectory", DataDirectory),
            new("Ledger__ApiTokens__0__Token", apiToken),
            new("Ledger__ApiTokens__0__Access", "write"),
            new("Ledger__ApiTokens__1__Token", readToken),
            new("Ledger__ApiTokens__1__Access", "read"),
            new("Ledger__RequireReadAuth", "true"),
            new("Ledger__ClusterSecret", clusterSecret),
        };
        // The membership script (geoledger-member.py) reads this token from here: it never leaves the VMs.
        if (adminToken is not null)
        {
            entries.Add(new("Ledger__ApiTokens__2__Token", adminToken));
            entries.Add(new("Ledger__ApiTokens__2__Access", "admin"));
        }

        entries.AddRange(timeouts.ToEnvironment());
        switch (tls)
        {
            case TlsMode.Acme:
                entries.Add(new("Ledger__TlsCertificateFile", AcmePemPath));
                break;
            case TlsMode.Pfx:
                entries.Add(new("Kestrel__Certificates__Default__Path", TlsPfxPath));
                if (!string.IsNullOrEmpty(tlsPfxPassword))
                    entries.Add(new("Kestrel__Certificates__Default__Password", tlsPfxPassword));
                break;
        }

        return entries;
    }

    /// <summary>Renders <c>KEY=value</c> lines (values are checked by the plan to need no quoting).</summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in entries)
            text.Append(key).Append('=').Append(value).Append('\n');
        return text.ToString();
    }
}
