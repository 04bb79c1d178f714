using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Publish;

/// <summary>What a publish produced: the folder, its archive and their hashes.</summary>
/// <param name="Folder">The published service (self-contained for linux-x64).</param>
/// <param name="Archive">The deterministic tar.gz of the folder, uploaded for the image build.</param>
/// <param name="ContentHash">The folder's <see cref="Plan.ContentHash"/>.</param>
/// <param name="ArchiveSha256">Lowercase hex SHA-256 of the archive.</param>
public sealed record PublishedService(string Folder, string Archive, string ContentHash, string ArchiveSha256);

/// <summary>
/// Publishes the service for the image on every <c>pulumi preview</c> and <c>pulumi up</c>, so a
/// deployment can never carry an older build than the sources. Deterministic: the same sources give
/// the same folder hash and the same archive bytes, so an unchanged service builds no new image.
/// Plain .NET (no GNU tools), so it runs wherever the Pulumi program runs.
/// </summary>
public static class ServicePublisher
{
    /// <summary>The default output folder under the repository root.</summary>
    public const string DefaultFolder = "artifacts/publish/linux-x64";

    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>The service's project, relative to the repository root.</summary>
    public const string ServiceProject = "Service/Service.csproj";

    /// <summary>Publishes <paramref name="project"/> of <paramref name="root"/> into <paramref name="folder"/> and packs it.</summary>
    /// <param name="root">The repository root.</param>
    /// <param name="folder">The output folder; its sibling <c>.build</c> folder keeps the incremental build.</param>
    /// <param name="project">The project, relative to <paramref name="root"/> (the tests publish a small one).</param>
    /// <param name="cancel">Stops the publish.</param>
    /// <exception cref="InvalidOperationException">dotnet publish failed; the message holds its output.</exception>
    public static async Task<PublishedService> PublishAsync(string root, string folder, string project = ServiceProject, CancellationToken cancel = default)
    {
        root = Path.GetFullPath(root);
        folder = Path.GetFullPath(folder);
        var build = folder + ".build";
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(build);

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        foreach (var arg in new[]
        {
            "publish", Path.Combine(root, project),
            "--configuration", "Release", "--runtime", "linux-x64", "--self-contained", "true",
            "--artifacts-path", build, "--output", folder, "--nologo", "-v:q",
            "-p:Deterministic=true", "-p:ContinuousIntegrationBuild=true", "-p:DebugType=none",
            $"-p:PathMap={root}=/src%2C{build}=/build",
        })
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet publish"))
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancel);
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            await process.WaitForExitAsync(cancel).ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"dotnet publish of the service failed ({process.ExitCode}):\n{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }

        foreach (var pdb in Directory.EnumerateFiles(folder, "*.pdb", SearchOption.AllDirectories))
            File.Delete(pdb);
        var archive = folder + ".tar.gz";
        WriteArchive(folder, archive);
        await using var stream = File.OpenRead(archive);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancel).ConfigureAwait(false));
        return new PublishedService(folder, archive, Plan.ContentHash.Of(folder), sha);
    }

    /// <summary>
    /// Writes the folder as a tar.gz whose bytes depend only on the files' paths and contents:
    /// entries in byte order of their paths, owner 0:0, time 0, mode 0755 for folders and the two
    /// executables, 0644 for the rest.
    /// </summary>
    public static void WriteArchive(string folder, string archive)
    {
        var entries = Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .Select(p => (Full: p, Relative: Path.GetRelativePath(folder, p).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(e => Encoding.UTF8.GetBytes(e.Relative), ByteOrder.Instance)
            .ToList();
        using var file = File.Create(archive);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        using var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var (full, relative) in entries)
        {
            var isDirectory = Directory.Exists(full);
            var entry = new GnuTarEntry(isDirectory ? TarEntryType.Directory : TarEntryType.RegularFile, "./" + relative + (isDirectory ? "/" : ""))
            {
                ModificationTime = Epoch,
                AccessTime = Epoch,
                ChangeTime = Epoch,
                Uid = 0,
                Gid = 0,
                UserName = "root",
                GroupName = "root",
                Mode = isDirectory || relative is "GeoLedger" or "createdump" ? Executable : Readable,
            };
            if (!isDirectory)
                entry.DataStream = File.OpenRead(full);
            tar.WriteEntry(entry);
            entry.DataStream?.Dispose();
        }
    }

    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode Executable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
