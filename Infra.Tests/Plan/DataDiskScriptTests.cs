using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>
/// Runs the VM's data-disk script for real on loop devices (root only; test.sh says when it leaves
/// these out): it formats only a blank disk, keeps a disk with data, finds SCSI and NVMe LUN 0, and
/// fails when it cannot mount, so the first-boot script never starts the service on the OS disk.
/// </summary>
[Trait("Category", "Root")]
public sealed class DataDiskScriptTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("geoledger-disk-");
    private readonly List<string> _loops = [];

    private string Mount => Path.Combine(_temp.FullName, "mnt");

    private string Fstab => Path.Combine(_temp.FullName, "fstab");

    private string Script => Path.Combine(_temp.FullName, "geoledger-data-disk");

    public DataDiskScriptTests()
    {
        File.WriteAllText(Script, Scripts.DataDisk);
        File.WriteAllText(Fstab, "# test fstab\n");
    }

    [Fact]
    [Trait("Item", "8")]
    public async Task Item08_ABlankDiskIsFormattedOnceAndKeptOnEveryLaterRun()
    {
        var disk = await LoopDevice(blank: true);

        var first = await RunScript(disk);
        Assert.True(first.Code == 0, first.Output);
        Assert.True(await IsMountPoint(), "the data directory is mounted");
        Assert.Single(File.ReadAllLines(Fstab), l => l.StartsWith("UUID=", StringComparison.Ordinal) && l.Contains($" {Mount} ext4 defaults,nofail", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(Mount));
        await File.WriteAllTextAsync(Path.Combine(Mount, "wal-marker"), "acknowledged writes");

        await Unmount();
        var second = await RunScript(disk);
        Assert.True(second.Code == 0, second.Output);
        Assert.Equal("acknowledged writes", await File.ReadAllTextAsync(Path.Combine(Mount, "wal-marker")));
        Assert.Single(File.ReadAllLines(Fstab), l => l.StartsWith("UUID=", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Item", "8")]
    public async Task Item08_ADiskThatIsNotBlankIsNeverFormatted()
    {
        var disk = await LoopDevice(blank: false);
        var before = await FirstMiB(disk);

        var run = await RunScript(disk);

        Assert.NotEqual(0, run.Code);
        Assert.Contains("not formatting a disk that is not blank", run.Output);
        Assert.Equal(before, await FirstMiB(disk));
        Assert.False(await IsMountPoint());
    }

    [Fact]
    [Trait("Item", "9")]
    public async Task Item09_AnNvmeDiskIsFoundAtItsByLunPath()
    {
        var disk = await LoopDevice(blank: true);
        var nvme = Path.Combine(_temp.FullName, "data-by-lun-0");
        File.CreateSymbolicLink(nvme, disk);

        var run = await RunScript($"{Path.Combine(_temp.FullName, "scsi1-lun0-absent")} {nvme}");

        Assert.True(run.Code == 0, run.Output);
        Assert.True(await IsMountPoint());
    }

    [Fact]
    [Trait("Item", "8")]
    public async Task Item08_NoDiskMeansNoMountAndAFailure()
    {
        var run = await RunScript(Path.Combine(_temp.FullName, "absent"));
        Assert.NotEqual(0, run.Code);
        Assert.Contains("no data disk", run.Output);
        Assert.False(Directory.Exists(Mount) && await IsMountPoint());
    }

    private Task<(int Code, string Output)> RunScript(string disks) =>
        ImageScriptTests.Run("bash", [Script], new Dictionary<string, string>
        {
            ["GEOLEDGER_DATA_DISKS"] = disks,
            ["GEOLEDGER_DATA_DIR"] = Mount,
            ["GEOLEDGER_DATA_FSTAB"] = Fstab,
            ["GEOLEDGER_DATA_OWNER"] = "0:0",
            ["GEOLEDGER_DATA_WAIT_SECONDS"] = "0",
        });

    private async Task<string> LoopDevice(bool blank)
    {
        Assert.True(Environment.UserName == "root", "these tests attach loop devices: run them as root");
        var image = Path.Combine(_temp.FullName, $"disk{_loops.Count}.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(64 << 20);
            if (!blank)
            {
                // Data no file system signature matches, as after a foreign tool wrote the disk.
                var noise = new byte[1 << 20];
                new Random(11).NextBytes(noise);
                noise.AsSpan(0, 4096).Fill(0x5A);
                await file.WriteAsync(noise);
            }
        }

        var (code, output) = await ImageScriptTests.Run("losetup", ["--find", "--show", image]);
        Assert.True(code == 0, $"losetup: {output}");
        var device = output.Trim();
        _loops.Add(device);
        return device;
    }

    private static async Task<byte[]> FirstMiB(string device)
    {
        await using var stream = new FileStream(device, FileMode.Open, FileAccess.Read);
        var buffer = new byte[1 << 20];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    private async Task<bool> IsMountPoint() => (await ImageScriptTests.Run("mountpoint", ["-q", Mount])).Code == 0;

    private async Task Unmount()
    {
        if (Directory.Exists(Mount) && await IsMountPoint())
            await ImageScriptTests.Run("umount", [Mount]);
    }

    public void Dispose()
    {
        Unmount().GetAwaiter().GetResult();
        foreach (var loop in _loops)
            ImageScriptTests.Run("losetup", ["-d", loop]).GetAwaiter().GetResult();
        _temp.Delete(recursive: true);
    }
}
