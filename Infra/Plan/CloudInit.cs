using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// A VM's cloud-init user data. The image already holds the service, its user and its systemd
/// unit; cloud-init writes the node config and the environment (deferred to the final stage, so
/// the unit's <c>ConditionPathExists</c> keeps the service down at first boot until the data disk
/// is mounted), mounts the node's data disk, then restarts the service.
/// </summary>
public static class CloudInit
{
    /// <summary>Where the data-disk script is written.</summary>
    public const string DataDiskScriptPath = "/usr/local/sbin/geoledger-data-disk";

    /// <summary>
    /// Mounts the node's managed data disk (LUN 0) at the data directory. It formats the disk only
    /// when blkid finds nothing on it, so a disk kept across a VM replacement keeps its data.
    /// </summary>
    public const string DataDiskScript = """
        #!/bin/bash
        # Mounts this node's data disk (LUN 0) at /var/lib/geoledger; formats it only when it is blank.
        set -euo pipefail
        disk=/dev/disk/azure/scsi1/lun0
        dir=/var/lib/geoledger
        for _ in $(seq 1 90); do [ -e "$disk" ] && break; sleep 2; done
        if [ ! -e "$disk" ]; then echo "geoledger: data disk $disk not found" >&2; exit 1; fi
        if ! blkid -p "$disk" >/dev/null 2>&1; then
          mkfs.ext4 -q -L geoledger-data "$disk"
        fi
        uuid="$(blkid -s UUID -o value "$disk")"
        mkdir -p "$dir"
        if ! grep -q "^UUID=$uuid " /etc/fstab; then
          echo "UUID=$uuid $dir ext4 defaults,nofail,x-systemd.device-timeout=60s 0 2" >> /etc/fstab
        fi
        systemctl daemon-reload
        mountpoint -q "$dir" || mount "$dir"
        chown geoledger:geoledger "$dir"
        chmod 0750 "$dir"

        """;

    /// <summary>Renders the <c>#cloud-config</c> document of one node.</summary>
    public static string Render(string nodeId, string nodeConfigJson, string envFile, string? tlsPfxBase64)
    {
        var yaml = new StringBuilder();
        yaml.Append("#cloud-config\n");
        yaml.Append($"# GeoLedger node {nodeId}: node config, service environment and data disk (rendered by the Pulumi plan)\n");
        yaml.Append("write_files:\n");
        File(yaml, EnvFile.NodeConfigPath, "root:geoledger", "0640", Encoding.UTF8.GetBytes(nodeConfigJson), defer: true);
        File(yaml, EnvFile.Path, "root:root", "0600", Encoding.UTF8.GetBytes(envFile), defer: true);
        if (tlsPfxBase64 is not null)
            File(yaml, EnvFile.TlsPfxPath, "geoledger:geoledger", "0600", Convert.FromBase64String(tlsPfxBase64), defer: true);
        File(yaml, DataDiskScriptPath, "root:root", "0755", Encoding.UTF8.GetBytes(DataDiskScript), defer: false);
        yaml.Append("runcmd:\n");
        yaml.Append($"  - [{DataDiskScriptPath}]\n");
        yaml.Append("  - [systemctl, restart, geoledger]\n");
        return yaml.ToString();
    }

    private static void File(StringBuilder yaml, string path, string owner, string permissions, byte[] content, bool defer)
    {
        yaml.Append($"  - path: {path}\n");
        yaml.Append($"    owner: {owner}\n");
        yaml.Append($"    permissions: '{permissions}'\n");
        yaml.Append("    encoding: b64\n");
        yaml.Append($"    content: \"{Convert.ToBase64String(content)}\"\n");
        if (defer)
            yaml.Append("    defer: true\n");
    }
}
