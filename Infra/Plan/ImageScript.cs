using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// What Image Builder's Shell customizer runs on the build VM: download the archive with the build
/// VM identity's token (a File customizer stops at 20 MB), check its SHA-256, install certbot, the
/// service under /opt with its fixed-id user and its hardened systemd unit. The unit lives only in the image.
/// </summary>
public static class ImageScript
{
    /// <summary>The service user's fixed UID and GID: files on a data disk stay its own under any later image.</summary>
    public const int ServiceUid = 3262;

    /// <summary>The open-files limit of the service (a connection each, plus the log's files).</summary>
    public const int OpenFilesLimit = 65536;

    /// <summary>The service's systemd unit.</summary>
    public static readonly string Unit = $"""
        [Unit]
        Description=GeoLedger node (Raft-replicated key/value ledger)
        Wants=network-online.target
        After=network-online.target
        ConditionPathExists=/etc/geoledger/node.json
        ConditionPathIsMountPoint={EnvFile.DataDirectory}
        RequiresMountsFor={EnvFile.DataDirectory}

        [Service]
        Type=exec
        User=geoledger
        Group=geoledger
        EnvironmentFile=/etc/geoledger/env
        WorkingDirectory=/opt/geoledger
        ExecStart=/opt/geoledger/GeoLedger
        Restart=always
        RestartSec=2
        TimeoutStopSec=30
        UMask=0077
        LimitNOFILE={OpenFilesLimit}
        AmbientCapabilities=CAP_NET_BIND_SERVICE
        CapabilityBoundingSet=CAP_NET_BIND_SERVICE
        NoNewPrivileges=true
        ProtectSystem=strict
        ReadWritePaths={EnvFile.DataDirectory}
        ProtectHome=true
        PrivateTmp=true
        PrivateDevices=true
        ProtectKernelTunables=true
        ProtectKernelModules=true
        ProtectKernelLogs=true
        ProtectControlGroups=true
        ProtectClock=true
        ProtectHostname=true
        RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
        RestrictNamespaces=true
        RestrictRealtime=true
        RestrictSUIDSGID=true
        LockPersonality=true
        SystemCallArchitectures=native
        SystemCallFilter=@system-service
        SystemCallErrorNumber=EPERM

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>
    /// <c>fetch_archive TOKEN_URL BLOB_URL OUT DEADLINE_SECONDS PAUSE_SECONDS</c>: downloads the blob with
    /// a managed identity token until it answers 200. A role assignment can take minutes to reach
    /// Storage, and curl's own --retry does not retry 401/403, so every other answer is retried until
    /// the deadline.
    /// </summary>
    public const string FetchFunction = """
        fetch_archive() {
          local token_url="$1" blob_url="$2" out="$3" deadline=$((SECONDS + $4)) pause="$5" token status
          while :; do
            status=000
            if token="$(curl -fsS --retry 5 -H Metadata:true "$token_url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"; then
              status="$(curl -sS --retry 5 -o "$out" -w '%{http_code}' -H "Authorization: Bearer $token" -H 'x-ms-version: 2021-08-06' "$blob_url" || echo 000)"
            fi
            if [ "$status" = 200 ]; then return 0; fi
            if [ "$SECONDS" -ge "$deadline" ]; then
              echo "geoledger: the archive download still answers $status; giving up" >&2
              return 1
            fi
            echo "geoledger: the archive download answered $status (a new role assignment may not have reached Storage yet); retrying" >&2
            sleep "$pause"
          done
        }

        """;

    /// <summary>The install script.</summary>
    /// <param name="blobUrl">The archive's private URL.</param>
    /// <param name="archiveSha256">Lowercase hex SHA-256 of the archive file.</param>
    /// <param name="buildVmIdentityId">Resource id of the build VM's user-assigned identity (it may read the archive).</param>
    public static string Install(Uri blobUrl, string archiveSha256, string buildVmIdentityId) => $$"""
        #!/bin/bash
        # Installs GeoLedger into the image (run by Azure Image Builder's Shell customizer, as root).
        set -euo pipefail
        archive=/tmp/geoledger.tar.gz
        {{FetchFunction}}imds='http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&msi_res_id={{buildVmIdentityId}}'
        fetch_archive "$imds" '{{blobUrl.AbsoluteUri}}' "$archive" 600 20
        echo '{{archiveSha256}}  /tmp/geoledger.tar.gz' | sha256sum -c -
        # certbot: the node's ACME client (unused with tls off or a PFX); its timer renews certificates.
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=600 update -q
        apt-get -o DPkg::Lock::Timeout=600 install -y -q certbot
        # Fixed ids: a data disk written under one image must belong to the service under the next.
        getent group geoledger >/dev/null || groupadd --system --gid {{ServiceUid}} geoledger
        id -u geoledger >/dev/null 2>&1 || useradd --system --uid {{ServiceUid}} --gid {{ServiceUid}} --home-dir /var/lib/geoledger --no-create-home --shell /usr/sbin/nologin geoledger
        if [ "$(id -u geoledger)" != {{ServiceUid}} ] || [ "$(id -g geoledger)" != {{ServiceUid}} ]; then
          echo "geoledger: the service user must be {{ServiceUid}}:{{ServiceUid}}, the source image gave $(id -u geoledger):$(id -g geoledger)" >&2
          exit 1
        fi
        mkdir -p /opt/geoledger /etc/geoledger /var/lib/geoledger
        tar -xzf "$archive" -C /opt/geoledger --no-same-owner
        chown -R root:root /opt/geoledger
        chmod 0755 /opt/geoledger/GeoLedger
        chown root:geoledger /etc/geoledger && chmod 0750 /etc/geoledger
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
