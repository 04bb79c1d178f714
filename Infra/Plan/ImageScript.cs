using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// What Image Builder's Shell customizer runs on the build VM: download the archive with the
/// identity's token (a File customizer stops at 20 MB), check its SHA-256, install the service
/// under /opt with its user, data mount point and systemd unit. The unit lives only in the image.
/// </summary>
public static class ImageScript
{
    /// <summary>The service's systemd unit.</summary>
    public const string Unit = """
        [Unit]
        Description=GeoLedger node (Raft-replicated key/value ledger)
        Wants=network-online.target
        After=network-online.target
        ConditionPathExists=/etc/geoledger/node.json
        RequiresMountsFor=/var/lib/geoledger

        [Service]
        Type=exec
        User=geoledger
        Group=geoledger
        EnvironmentFile=/etc/geoledger/env
        WorkingDirectory=/opt/geoledger
        ExecStart=/opt/geoledger/GeoLedger
        AmbientCapabilities=CAP_NET_BIND_SERVICE
        CapabilityBoundingSet=CAP_NET_BIND_SERVICE
        NoNewPrivileges=true
        PrivateTmp=true
        ProtectSystem=full
        ReadWritePaths=/var/lib/geoledger
        Restart=always
        RestartSec=2
        TimeoutStopSec=30

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>The install script.</summary>
    /// <param name="blobUrl">The archive's private URL.</param>
    /// <param name="archiveSha256">Lowercase hex SHA-256 of the archive file.</param>
    /// <param name="identityClientId">Client id of the user-assigned identity on the build VM.</param>
    public static string Install(Uri blobUrl, string archiveSha256, string identityClientId) => $$"""
        #!/bin/bash
        # Installs GeoLedger into the image (run by Azure Image Builder's Shell customizer).
        set -euo pipefail
        archive=/tmp/geoledger.tar.gz
        imds='http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id={{identityClientId}}'
        token="$(curl -fsS --retry 10 -H Metadata:true "$imds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
        curl -fsS --retry 5 -H "Authorization: Bearer $token" -H 'x-ms-version: 2021-08-06' -o "$archive" '{{blobUrl.AbsoluteUri}}'
        echo '{{archiveSha256}}  /tmp/geoledger.tar.gz' | sha256sum -c -
        id -u geoledger >/dev/null 2>&1 || useradd --system --home-dir /var/lib/geoledger --no-create-home --shell /usr/sbin/nologin geoledger
        mkdir -p /opt/geoledger /etc/geoledger /var/lib/geoledger
        tar -xzf "$archive" -C /opt/geoledger --no-same-owner
        chown -R root:root /opt/geoledger
        chmod 0755 /opt/geoledger/GeoLedger
        chown root:geoledger /etc/geoledger && chmod 0750 /etc/geoledger
        chown geoledger:geoledger /var/lib/geoledger && chmod 0750 /var/lib/geoledger
        cat > /etc/systemd/system/geoledger.service <<'UNIT'
        {{Unit}}UNIT
        systemctl daemon-reload
        systemctl enable geoledger.service
        rm -f "$archive"

        """;

    /// <summary>
    /// The Shell customizer's inline commands: write the script from base64 (no quoting issues)
    /// and run it as root.
    /// </summary>
    public static IReadOnlyList<string> Inline(string script) =>
    [
        $"echo '{Convert.ToBase64String(Encoding.UTF8.GetBytes(script))}' | base64 -d > /tmp/install-geoledger.sh",
        "sudo bash /tmp/install-geoledger.sh",
    ];
}
