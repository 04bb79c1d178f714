using System.Diagnostics;
using System.Security.Cryptography;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>
/// Runs Infra/publish.sh twice into fresh folders: the content hashes (the image version) and the
/// archives must be identical, and the script's printed hash must equal <see cref="ContentHash"/>.
/// </summary>
public sealed class PublishTests
{
    [Fact]
    public async Task TwoPublishesHashAlike()
    {
        var root = RepositoryRoot();
        var temp = Directory.CreateTempSubdirectory("geoledger-publish-");
        try
        {
            var first = await Publish(root, Path.Combine(temp.FullName, "one", "linux-x64"));
            var second = await Publish(root, Path.Combine(temp.FullName, "two", "linux-x64"));

            Assert.Equal(first.PrintedHash, second.PrintedHash);
            Assert.Equal(first.PrintedHash, ContentHash.Of(first.Folder));
            Assert.Equal(second.PrintedHash, ContentHash.Of(second.Folder));
            Assert.True(File.Exists(Path.Combine(first.Folder, "GeoLedger")), "the apphost is published");
            Assert.True(File.Exists(Path.Combine(first.Folder, "GeoLedger.dll")));
            Assert.Empty(Directory.GetFiles(first.Folder, "*.pdb", SearchOption.AllDirectories));
            Assert.Equal(Sha256(first.Folder + ".tar.gz"), Sha256(second.Folder + ".tar.gz"));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public void TheHashCoversPathsAndBytesButNotTimes()
    {
        var temp = Directory.CreateTempSubdirectory("geoledger-hash-");
        try
        {
            Directory.CreateDirectory(Path.Combine(temp.FullName, "a", "sub"));
            File.WriteAllText(Path.Combine(temp.FullName, "a", "x.txt"), "x");
            File.WriteAllText(Path.Combine(temp.FullName, "a", "sub", "y.txt"), "y");
            var before = ContentHash.Of(Path.Combine(temp.FullName, "a"));

            File.SetLastWriteTimeUtc(Path.Combine(temp.FullName, "a", "x.txt"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            Assert.Equal(before, ContentHash.Of(Path.Combine(temp.FullName, "a")));

            File.Move(Path.Combine(temp.FullName, "a", "sub", "y.txt"), Path.Combine(temp.FullName, "a", "sub", "z.txt"));
            Assert.NotEqual(before, ContentHash.Of(Path.Combine(temp.FullName, "a")));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static async Task<(string Folder, string PrintedHash)> Publish(string root, string folder)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "Infra", "publish.sh"), folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"publish.sh failed ({process.ExitCode}): {await stderr}");
        var hash = (await stdout).Trim();
        Assert.Matches("^[0-9a-f]{64}$", hash);
        return (folder, hash);
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Infra.csproj")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Infra.csproj not found above the test binaries");
    }
}
