using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GeoLedger.Bench;

/// <summary>The disk's floor for a durable write: 4 KiB writes each followed by fdatasync (dd oflag=dsync).</summary>
/// <param name="AppendMs">Mean per write when every write extends the file (block allocation is journaled too), as a fresh log chunk pays.</param>
/// <param name="OverwriteMs">Mean per write into blocks already allocated, as a preallocated log pays.</param>
/// <param name="Writes">Writes per measurement.</param>
/// <param name="Folder">Where it was measured (the same file system as the members' data).</param>
internal sealed record DiskFloor(double AppendMs, double OverwriteMs, int Writes, string Folder)
{
    private const int Count = 1000;

    public static async Task<DiskFloor> MeasureAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "floor.bin");
        try
        {
            var append = await DdAsync($"if=/dev/zero of={file} bs=4k count={Count} oflag=dsync").ConfigureAwait(false);
            var overwrite = await DdAsync($"if=/dev/zero of={file} bs=4k count={Count} oflag=dsync conv=notrunc").ConfigureAwait(false);
            return new DiskFloor(Math.Round(append * 1000 / Count, 3), Math.Round(overwrite * 1000 / Count, 3), Count, folder);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // dd prints "... copied, 1.23 s, 3.3 MB/s" on stderr; returns the seconds.
    private static async Task<double> DdAsync(string arguments)
    {
        var info = new ProcessStartInfo("dd", arguments) { RedirectStandardError = true, UseShellExecute = false };
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("dd did not start");
        var text = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        var match = Regex.Match(text, @"copied, ([0-9.]+(?:e-?[0-9]+)?) s");
        return process.ExitCode == 0 && match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"dd {arguments} failed: {text}");
    }
}
