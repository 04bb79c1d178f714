using System.Security.Cryptography;
using System.Text;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// The content hash of a folder: SHA-256 over every file, in ordinal order of its relative path
/// ('/' separators, compared as UTF-8 bytes), of <c>path NUL length NUL bytes</c>. Timestamps,
/// owners and the folder's own location do not count, so two identical publishes hash alike.
/// It names the image: the program publishes the service (<c>Infra/Publish</c>) and hashes the folder.
/// </summary>
public static class ContentHash
{
    /// <summary>Lowercase hex SHA-256 of the folder's content.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static string Of(string folder)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"'{root}' does not exist: publish the service first");

        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => Encoding.UTF8.GetBytes(f.Relative), ByteOrder.Instance)
            .ToList();

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        foreach (var (full, relative) in files)
        {
            using var stream = File.OpenRead(full);
            sha.AppendData(Encoding.UTF8.GetBytes($"{relative}\0{stream.Length}\0"));
            int read;
            while ((read = stream.Read(buffer)) > 0)
                sha.AppendData(buffer.AsSpan(0, read));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The gallery image version <c>x.y.z</c> of a content hash: its first six bytes as three 16-bit numbers.</summary>
    public static string ImageVersion(string hexHash)
    {
        if (hexHash.Length < 12 || !hexHash.All(Uri.IsHexDigit))
            throw new ArgumentException($"'{hexHash}' is not a hex content hash", nameof(hexHash));
        int Part(int i) => Convert.ToInt32(hexHash.Substring(i * 4, 4), 16);
        return $"{Part(0)}.{Part(1)}.{Part(2)}";
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
