namespace GeoLedger.Tests.CrashDamage;

/// <summary>What a power cut (or a bad disk) can leave in a node's data folder.</summary>
public enum DamageKind
{
    /// <summary>The newest log segment cut to a random length inside its records.</summary>
    TruncateSegment,

    /// <summary>Random bytes written right after the newest segment's last record (a write that never completed).</summary>
    AppendGarbageToSegment,

    /// <summary>A few bytes inverted inside the records of the newest segment.</summary>
    FlipBytesInSegment,

    /// <summary>One byte inverted in the 64-byte header of the newest segment.</summary>
    FlipBytesInSegmentHeader,

    /// <summary>A few bytes inverted in the middle of the newest snapshot file.</summary>
    CorruptNewestSnapshot,
}

/// <summary>Damages a stopped node's data folder (<c>log/*.seg</c>, <c>snapshots</c>) and says what it did.</summary>
public static class LogDamage
{
    private const int SegmentHeaderBytes = 64;

    /// <summary>Applies <paramref name="kind"/> to the folder of a node that is not running.</summary>
    /// <returns>What was changed, for the test output.</returns>
    public static string Apply(DamageKind kind, string dataDirectory, Random random) => kind switch
    {
        DamageKind.TruncateSegment => Truncate(NewestSegment(dataDirectory), random),
        DamageKind.AppendGarbageToSegment => AppendGarbage(NewestSegment(dataDirectory), random),
        DamageKind.FlipBytesInSegment => FlipBytes(NewestSegment(dataDirectory), random, from: SegmentHeaderBytes),
        DamageKind.FlipBytesInSegmentHeader => FlipHeaderByte(NewestSegment(dataDirectory), random),
        DamageKind.CorruptNewestSnapshot => FlipBytes(NewestSnapshot(dataDirectory), random, from: 0, wholeFile: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The segment holding the newest entries: of those with a header, the one with the highest first index.</summary>
    public static string NewestSegment(string dataDirectory)
    {
        var segments = Directory.GetFiles(Path.Combine(dataDirectory, "log"), "*.seg")
            .Select(f => (Path: f, First: FirstIndex(f)))
            .Where(s => s.First > 0 && WrittenLength(s.Path) > SegmentHeaderBytes)
            .OrderBy(s => s.First)
            .ToList();
        return segments.Count > 0 ? segments[^1].Path : throw new InvalidOperationException($"no log segment with records in {dataDirectory}/log");
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

    /// <summary>The length up to the last non-zero byte: segments are zero-filled in advance, and zero past what was written.</summary>
    public static long WrittenLength(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var last = Array.FindLastIndex(bytes, b => b != 0);
        return last + 1;
    }

    private static long FirstIndex(string path)
    {
        var header = new byte[SegmentHeaderBytes];
        using var file = File.OpenRead(path);
        return file.Read(header) == header.Length ? BitConverter.ToInt64(header, 24) : 0;
    }

    private static string Truncate(string path, Random random)
    {
        var written = WrittenLength(path);
        var before = new FileInfo(path).Length;
        var length = random.NextInt64(SegmentHeaderBytes, written);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            file.SetLength(length);
        return $"truncated {Name(path)} from {before} bytes ({written} written) to {length}";
    }

    private static string AppendGarbage(string path, Random random)
    {
        var garbage = new byte[1 + random.Next(4096)];
        random.NextBytes(garbage);
        var written = WrittenLength(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = written;
            file.Write(garbage);
        }

        return $"wrote {garbage.Length} random bytes after the {written} written bytes of {Name(path)}";
    }

    private static string FlipBytes(string path, Random random, long from, bool wholeFile = false)
    {
        var span = (wholeFile ? new FileInfo(path).Length : WrittenLength(path)) - from;
        if (span < 4)
            throw new InvalidOperationException($"{path} has only {span} written bytes: nothing to damage");
        var offset = from + span / 4 + random.NextInt64(0, span / 2);
        var count = (int)Math.Min(1 + random.Next(8), from + span - offset);
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

        return $"inverted {count} bytes at offset {offset} of {Name(path)} ({from + span} bytes {(wholeFile ? "long" : "written")})";
    }

    private static string FlipHeaderByte(string path, Random random)
    {
        var at = random.Next(SegmentHeaderBytes);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = at;
            var value = (byte)file.ReadByte();
            file.Position = at;
            file.WriteByte((byte)(value ^ 0xFF));
        }

        return $"inverted byte {at} of the header of {Name(path)}";
    }

    private static string Name(string path) => Path.Combine(Path.GetFileName(Path.GetDirectoryName(path)!), Path.GetFileName(path));
}
