using System.Text;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class ImageScriptTests
{
    [Fact]
    public void TheUnitRunsTheServiceAsItsUserWithTheRequiredSettings()
    {
        var lines = ImageScript.Unit.Split('\n');
        foreach (var expected in new[]
        {
            "ExecStart=/opt/geoledger/GeoLedger", "User=geoledger", "EnvironmentFile=/etc/geoledger/env",
            "ConditionPathExists=/etc/geoledger/node.json", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "Restart=always", "RequiresMountsFor=/var/lib/geoledger", "WantedBy=multi-user.target",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    [Fact]
    public void TheInstallScriptDownloadsWithTheIdentityChecksTheArchiveAndInstallsTheUnit()
    {
        var url = new Uri("https://gl0123456789.blob.core.windows.net/images/geoledger-0123.tar.gz");
        var script = ImageScript.Install(url, new string('a', 64), "11111111-2222-3333-4444-555555555555");

        Assert.StartsWith("#!/bin/bash\n", script);
        Assert.Contains("set -euo pipefail\n", script);
        Assert.Contains("client_id=11111111-2222-3333-4444-555555555555", script);
        Assert.Contains($"'{url.AbsoluteUri}'", script);
        Assert.Contains($"echo '{new string('a', 64)}  /tmp/geoledger.tar.gz' | sha256sum -c -", script);
        Assert.Contains("useradd --system", script);
        Assert.Contains(ImageScript.Unit + "UNIT\n", script);
        Assert.Contains("systemctl enable geoledger.service", script);
        Assert.DoesNotContain("\r", script);

        var inline = ImageScript.Inline(script);
        var b64 = inline[0].Split('\'')[1];
        Assert.Equal(script, Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
        Assert.Equal("sudo bash /tmp/install-geoledger.sh", inline[1]);
    }

    [Fact]
    public void TheDataDiskScriptFormatsOnlyABlankDiskAndMountsWithNofail()
    {
        var script = CloudInit.DataDiskScript;
        Assert.Contains("disk=/dev/disk/azure/scsi1/lun0", script);
        Assert.Contains("if ! blkid -p \"$disk\" >/dev/null 2>&1; then\n  mkfs.ext4", script);
        Assert.Contains("defaults,nofail", script);
        Assert.Contains("chown geoledger:geoledger \"$dir\"", script);
        Assert.Single(script.Split('\n'), l => l.Contains("mkfs", StringComparison.Ordinal));
    }
}
