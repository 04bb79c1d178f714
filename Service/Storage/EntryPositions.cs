namespace GeoLedger.Storage;

/// <summary>Where one entry's record lies, and what the log must know about it without reading it.</summary>
/// <param name="Segment">The segment file holding the record.</param>
/// <param name="Offset">The record's offset in the segment.</param>
/// <param name="Term">The entry's term.</param>
/// <param name="PayloadLength">Payload bytes.</param>
/// <param name="Flags">What the entry is.</param>
/// <param name="CommandId">.NEXT's command id (when flagged).</param>
internal readonly record struct EntryPosition(LogSegment Segment, long Offset, long Term, int PayloadLength, LogEntryFlags Flags, int CommandId)
{
    /// <summary>Bytes of the whole record.</summary>
    public int RecordLength => LogRecord.HeaderSize + PayloadLength;
}

/// <summary>
/// The positions of the entries <c>[First, First + Count)</c> in a ring that grows at the end and
/// shrinks at either end (compaction at the front, truncation at the back). Not thread-safe.
/// </summary>
internal sealed class EntryPositions
{
    private EntryPosition[] ring = new EntryPosition[1024];
    private int head;

    /// <summary>Index of the first entry held.</summary>
    public long First { get; private set; } = 1;

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>Index of the last entry held, or <c>First - 1</c>.</summary>
    public long Last => First + Count - 1;

    /// <summary>The position of entry <paramref name="index"/>, which must be held.</summary>
    public ref readonly EntryPosition this[long index]
    {
        get
        {
            if (index < First || index > Last)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"the log holds entries {First}..{Last}");
            return ref ring[(head + (int)(index - First)) % ring.Length];
        }
    }

    /// <summary>Forgets everything; the next entry added is <paramref name="nextIndex"/>.</summary>
    public void Reset(long nextIndex)
    {
        Array.Clear(ring);
        head = 0;
        Count = 0;
        First = nextIndex;
    }

    /// <summary>Adds the position of entry <see cref="Last"/> + 1.</summary>
    public void Add(in EntryPosition position)
    {
        if (Count == ring.Length)
        {
            var larger = new EntryPosition[ring.Length * 2];
            for (var i = 0; i < Count; i++)
                larger[i] = ring[(head + i) % ring.Length];
            ring = larger;
            head = 0;
        }

        ring[(head + Count) % ring.Length] = position;
        Count++;
    }

    /// <summary>Drops entries from <paramref name="index"/> to the end.</summary>
    public void TruncateFrom(long index)
    {
        var keep = (int)Math.Clamp(index - First, 0, Count);
        for (var i = keep; i < Count; i++)
            ring[(head + i) % ring.Length] = default;
        Count = keep;
    }

    /// <summary>Drops entries up to and including <paramref name="index"/>.</summary>
    public void DropThrough(long index)
    {
        var drop = (int)Math.Clamp(index - First + 1, 0, Count);
        for (var i = 0; i < drop; i++)
            ring[(head + i) % ring.Length] = default;
        head = (head + drop) % ring.Length;
        Count -= drop;
        First += drop;
    }
}
