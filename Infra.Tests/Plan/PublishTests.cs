using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using GeoLedger.Infra.Plan;
using GeoLedger.Infra.Publish;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>
/// The publish every <c>pulumi preview</c>/<c>up</c> runs first (<see cref="ServicePublisher"/>): the
/// same sources give the same folder hash and archive bytes, so an unchanged service builds no new
/// image, and the archive is written by .NET alone (no GNU tar, touch or stat: macOS works too).
/// </summary>
public sealed class PublishTests
{
    [Fact]
    [Trait("Item", "7")]
    public async Task Item07_PublishingUnchangedSourcesAgainGivesTheSameHashAndArchive()
    {
        // A small stand-in for Service/ (publishing the real service twice takes minutes): self-contained
        // for linux-x64, apphost named GeoLedger, through the very code the Pulumi program runs.
        var temp = Directory.CreateTempSubdirectory("geoledger-publish-");
        try
        {
            Directory.CreateDirectory(Path.Combine(temp.FullName, "Svc"));
            await File.WriteAllTextAsync(Path.Combine(temp.FullName, "Svc", "Svc.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <AssemblyName>GeoLedger</AssemblyName>
                    <InvariantGlobalization>true</InvariantGlobalization>
                  </PropertyGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(temp.FullName, "Svc", "Program.cs"), "System.Console.WriteLine(\"node\");\n");
            var folder = Path.Combine(temp.FullName, "artifacts", "linux-x64");

            var first = await ServicePublisher.PublishAsync(temp.FullName, folder, "Svc/Svc.csproj");
            var firstArchive = await File.ReadAllBytesAsync(first.Archive);
            var again = await ServicePublisher.PublishAsync(temp.FullName, folder, "Svc/Svc.csproj");
            var elsewhere = await ServicePublisher.PublishAsync(temp.FullName, Path.Combine(temp.FullName, "other", "linux-x64"), "Svc/Svc.csproj");

            Assert.Equal(first.ContentHash, again.ContentHash);
            Assert.Equal(first.ContentHash, elsewhere.ContentHash);
            Assert.Equal(firstArchive, await File.ReadAllBytesAsync(again.Archive));
            Assert.Equal(firstArchive, await File.ReadAllBytesAsync(elsewhere.Archive));
            Assert.Equal(ContentHash.Of(folder), again.ContentHash);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(firstArchive)), again.ArchiveSha256);
            Assert.True(File.Exists(Path.Combine(folder, "GeoLedger")), "the apphost is published");
            Assert.True(File.Exists(Path.Combine(folder, "libcoreclr.so")), "the runtime is published with it (self-contained)");
            Assert.Empty(Directory.GetFiles(folder, "*.pdb", SearchOption.AllDirectories));
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    [Trait("Item", "7")]
    public void Item07_TheProgramPublishesTheServiceProject() =>
        Assert.True(File.Exists(Path.Combine(RepositoryRoot(), ServicePublisher.ServiceProject)));

    [Fact]
    [Trait("Item", "24")]
    public async Task Item24_TheArchiveDependsOnlyOnPathsAndBytes()
    {
        var temp = Directory.CreateTempSubdirectory("geoledger-archive-");
        try
        {
            var folder = Path.Combine(temp.FullName, "svc");
            Directory.CreateDirectory(Path.Combine(folder, "runtimes", "linux-x64"));
            await File.WriteAllTextAsync(Path.Combine(folder, "GeoLedger"), "apphost");
            await File.WriteAllTextAsync(Path.Combine(folder, "GeoLedger.dll"), "assembly");
            await File.WriteAllTextAsync(Path.Combine(folder, "runtimes", "linux-x64", "native.so"), "native");

            ServicePublisher.WriteArchive(folder, Path.Combine(temp.FullName, "a.tar.gz"));
            File.SetLastWriteTimeUtc(Path.Combine(folder, "GeoLedger.dll"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            File.SetUnixFileMode(Path.Combine(folder, "GeoLedger"), UnixFileMode.UserRead);
            ServicePublisher.WriteArchive(folder, Path.Combine(temp.FullName, "b.tar.gz"));
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(temp.FullName, "a.tar.gz")), await File.ReadAllBytesAsync(Path.Combine(temp.FullName, "b.tar.gz")));

            await using var gzip = new GZipStream(File.OpenRead(Path.Combine(temp.FullName, "a.tar.gz")), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var entries = new List<(string Name, UnixFileMode Mode, DateTimeOffset Time, int Uid)>();
            while (tar.GetNextEntry() is { } entry)
                entries.Add((entry.Name, entry.Mode, entry.ModificationTime, entry.Uid));

            Assert.Equal(["./GeoLedger", "./GeoLedger.dll", "./runtimes/", "./runtimes/linux-x64/", "./runtimes/linux-x64/native.so"], entries.Select(e => e.Name));
            Assert.Equal("rwxr-xr-x", Mode(entries[0].Mode));
            Assert.Equal("rw-r--r--", Mode(entries[1].Mode));
            Assert.Equal("rwxr-xr-x", Mode(entries[2].Mode));
            Assert.All(entries, e => Assert.Equal(DateTimeOffset.UnixEpoch, e.Time));
            Assert.All(entries, e => Assert.Equal(0, e.Uid));
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

    private static string Mode(UnixFileMode mode) => string.Concat(
        new[] { UnixFileMode.UserRead, UnixFileMode.UserWrite, UnixFileMode.UserExecute, UnixFileMode.GroupRead, UnixFileMode.GroupWrite, UnixFileMode.GroupExecute, UnixFileMode.OtherRead, UnixFileMode.OtherWrite, UnixFileMode.OtherExecute }
            .Select((bit, i) => mode.HasFlag(bit) ? "rwx"[i % 3] : '-'));

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
