using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// A VM's cloud-init user data. The image already holds the service, its user and its systemd
/// unit; cloud-init writes the node config and the environment (deferred to the final stage, so
/// the unit's conditions keep the service down at first boot), then runs the first-boot script:
/// mount the data disk, get the ACME certificate, start the service, each only if the step before
/// succeeded.
/// </summary>
public static class CloudInit
{
    /// <summary>Azure's limit on custom data: 64 KB of decoded bytes.</summary>
    public const int MaxBytes = 65535;

    /// <summary>Where the data-disk script is written.</summary>
    public const string DataDiskScriptPath = "/usr/local/sbin/geoledger-data-disk";

    /// <summary>Where the certificate script is written (ACME).</summary>
    public const string CertObtainPath = "/usr/local/sbin/geoledger-cert-obtain";

    /// <summary>Where certbot's deploy hook is written (ACME).</summary>
    public const string CertDeployPath = "/usr/local/sbin/geoledger-cert-deploy";

    /// <summary>Where the first-boot script is written: the only runcmd.</summary>
    public const string FirstBootPath = "/usr/local/sbin/geoledger-first-boot";

    /// <summary>The ACME details of one node.</summary>
    /// <param name="Fqdn">The node's DNS name, the certificate's only name.</param>
    /// <param name="Server">The ACME directory URL.</param>
    /// <param name="Email">The account contact, or empty.</param>
    public sealed record Acme(string Fqdn, string Server, string Email);

    /// <summary>The first-boot script: <c>set -e</c> makes each step depend on the one before.</summary>
    public static string FirstBoot(Acme? acme)
    {
        var script = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append("# GeoLedger first boot: the service starts only on its mounted data disk (and, with ACME, its certificate).\n")
            .Append("set -euo pipefail\n")
            .Append(DataDiskScriptPath).Append('\n');
        if (acme is not null)
            script.Append($"{CertObtainPath} '{acme.Fqdn}' '{acme.Server}' '{acme.Email}'\n");
        return script.Append("systemctl restart geoledger\n").ToString();
    }

    /// <summary>Renders the <c>#cloud-config</c> document of one node.</summary>
    public static string Render(string nodeId, string nodeConfigJson, string envFile, string? tlsPfxBase64, Acme? acme)
    {
        var yaml = new StringBuilder();
        yaml.Append("#cloud-config\n");
        yaml.Append($"# GeoLedger node {nodeId}: node config, service environment, data disk and certificate (rendered by the Pulumi plan)\n");
        yaml.Append("write_files:\n");
        File(yaml, EnvFile.NodeConfigPath, "root:geoledger", "0640", Encoding.UTF8.GetBytes(nodeConfigJson), defer: true);
        File(yaml, EnvFile.Path, "root:root", "0600", Encoding.UTF8.GetBytes(envFile), defer: true);
        if (tlsPfxBase64 is not null)
            File(yaml, EnvFile.TlsPfxPath, "geoledger:geoledger", "0600", Convert.FromBase64String(tlsPfxBase64), defer: true);
        File(yaml, DataDiskScriptPath, "root:root", "0755", Encoding.UTF8.GetBytes(Scripts.DataDisk), defer: false);
        if (acme is not null)
        {
            File(yaml, CertObtainPath, "root:root", "0755", Encoding.UTF8.GetBytes(Scripts.CertObtain), defer: false);
            File(yaml, CertDeployPath, "root:root", "0755", Encoding.UTF8.GetBytes(Scripts.CertDeploy), defer: false);
        }

        File(yaml, FirstBootPath, "root:root", "0755", Encoding.UTF8.GetBytes(FirstBoot(acme)), defer: false);
        yaml.Append("runcmd:\n");
        yaml.Append($"  - [{FirstBootPath}]\n");
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
