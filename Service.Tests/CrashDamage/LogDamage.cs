namespace GeoLedger.Tests.CrashDamage;

/// <summary>What a power cut (or a bad disk) can leave in a node's data folder.</summary>
public enum DamageKind
{
    /// <summary>The newest WAL data chunk cut to a random shorter length.</summary>
    TruncateDataChunk,

    /// <summary>Random bytes appended to the newest WAL data chunk.</summary>
    AppendGarbageToDataChunk,

    /// <summary>A few bytes inverted inside the written part of the newest WAL data chunk.</summary>
    FlipBytesInDataChunk,

    /// <summary>The newest WAL metadata page cut to a random shorter length.</summary>
    TruncateMetadataPage,

    /// <summary>The low byte of one field (term, length, offset, flags, hash) of a written entry in the newest WAL metadata page inverted.</summary>
    FlipBytesInMetadataPage,

    /// <summary>A few bytes inverted in the middle of the newest snapshot file.</summary>
    CorruptNewestSnapshot,
}

/// <summary>Damages a stopped node's data folder (<c>wal/data</c>, <c>wal/metadata</c>, <c>snapshots</c>) and says what it did.</summary>
public static class LogDamage
{
    /// <summary>Applies <paramref name="kind"/> to the folder of a node that is not running.</summary>
    /// <returns>What was changed, for the test output.</returns>
    public static string Apply(DamageKind kind, string dataDirectory, Random random) => kind switch
    {
        DamageKind.TruncateDataChunk => Truncate(NewestPage(dataDirectory, "data"), random),
        DamageKind.AppendGarbageToDataChunk => AppendGarbage(NewestPage(dataDirectory, "data"), random),
        DamageKind.FlipBytesInDataChunk => FlipBytes(NewestPage(dataDirectory, "data"), random),
        DamageKind.TruncateMetadataPage => Truncate(NewestPage(dataDirectory, "metadata"), random),
        DamageKind.FlipBytesInMetadataPage => FlipMetadataField(NewestPage(dataDirectory, "metadata"), random),
        DamageKind.CorruptNewestSnapshot => FlipBytes(NewestSnapshot(dataDirectory), random, wholeFile: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The page file with the highest number in <c>wal/&lt;folder&gt;</c>.</summary>
    public static string NewestPage(string dataDirectory, string folder)
    {
        var pages = Directory.GetFiles(Path.Combine(dataDirectory, "wal", folder))
            .Where(f => uint.TryParse(Path.GetFileName(f), out _))
            .OrderBy(f => uint.Parse(Path.GetFileName(f)))
            .ToList();
        return pages.Count > 0 ? pages[^1] : throw new InvalidOperationException($"no page files in {dataDirectory}/wal/{folder}");
    }

    /// <summary>The newest snapshot (files are named <c>index-term</c>).</summary>
    public static string NewestSnapshot(string dataDirectory)
    {
        var snapshots = Directory.GetFiles(Path.Combine(dataDirectory, "snapshots"))
            .Where(f => Path.GetFileName(f).Split('-') is [var index, _] && long.TryParse(index, out _))
            .OrderBy(f => long.Parse(Path.GetFileName(f).Split('-')[0]))
            .ToList();
        return snapshots.Count > 0 ? snapshots[^1] : throw new InvalidOperationException($"no snapshot in {dataDirectory}/snapshots");
    }

    /// <summary>The length up to the last non-zero byte: page files are preallocated (sparse) and zero past what was written.</summary>
    public static long WrittenLength(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var last = Array.FindLastIndex(bytes, b => b != 0);
        return last + 1;
    }

    private static string Truncate(string path, Random random)
    {
        var written = WrittenLength(path);
        var before = new FileInfo(path).Length;
        var length = written == 0 ? 0 : random.NextInt64(0, written);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            file.SetLength(length);
        return $"truncated {Name(path)} from {before} bytes ({written} written) to {length}";
    }

    private static string AppendGarbage(string path, Random random)
    {
        var garbage = new byte[1 + random.Next(4096)];
        random.NextBytes(garbage);
        var before = new FileInfo(path).Length;
        var written = WrittenLength(path);
        using (var file = new FileStream(path, FileMode.Append, FileAccess.Write))
            file.Write(garbage);
        return $"appended {garbage.Length} random bytes to {Name(path)} ({before} bytes, {written} written)";
    }

    private static string FlipBytes(string path, Random random, bool wholeFile = false)
    {
        var span = wholeFile ? new FileInfo(path).Length : WrittenLength(path);
        if (span < 4)
            throw new InvalidOperationException($"{path} has only {span} written bytes: nothing to damage");
        var offset = span / 4 + random.NextInt64(0, span / 2);
        var count = (int)Math.Min(1 + random.Next(8), span - offset);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var bytes = new byte[count];
            file.Position = offset;
            file.ReadExactly(bytes);
            for (var i = 0; i < count; i++)
                bytes[i] ^= 0xFF;
            file.Position = offset;
            file.Write(bytes);
        }

        return $"inverted {count} bytes at offset {offset} of {Name(path)} ({span} bytes {(wholeFile ? "long" : "written")})";
    }

    /// <summary>
    /// A metadata page holds one 64-byte record per entry: term, length, offset (8 bytes each), flags and
    /// command id (4 each), the payload hash (8), then padding. Bytes flipped at random mostly land in the
    /// padding, so this flips a field that means something.
    /// </summary>
    private static string FlipMetadataField(string path, Random random)
    {
        const int recordSize = 64;
        (string Name, int Offset)[] fields = [("term", 0), ("length", 8), ("offset", 16), ("flags", 24), ("hash", 32)];
        var bytes = File.ReadAllBytes(path);
        var records = Enumerable.Range(0, bytes.Length / recordSize).Where(r => bytes.AsSpan(r * recordSize, recordSize).ContainsAnyExcept((byte)0)).ToList();
        if (records.Count == 0)
            throw new InvalidOperationException($"{path} holds no written metadata record");
        var record = records[random.Next(records.Count)];
        var field = fields[random.Next(fields.Length)];
        var at = record * recordSize + field.Offset;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = at;
            file.WriteByte((byte)(bytes[at] ^ 0xFF));
        }

        return $"inverted the low byte of the {field.Name} of record {record} (of {records.Count} written) in {Name(path)}";
    }

    private static string Name(string path) => Path.Combine(Path.GetFileName(Path.GetDirectoryName(path)!), Path.GetFileName(path));
}
