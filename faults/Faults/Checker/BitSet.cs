namespace GeoLedger.Faults.Checker;

/// <summary>A fixed-size set of operation indexes with an incrementally maintained (Zobrist) hash.</summary>
internal sealed class BitSet(int bits)
{
    private const ulong Full = ulong.MaxValue;

    private readonly ulong[] words = new ulong[(bits + 63) / 64];

    /// <summary>Hash of the members; independent of the order they were added in.</summary>
    public ulong Hash { get; private set; }

    /// <summary>True when <paramref name="bit"/> is a member.</summary>
    public bool Contains(int bit) => (words[bit >> 6] & (1UL << bit)) != 0;

    /// <summary>Adds a member that is not in the set.</summary>
    public void Set(int bit)
    {
        words[bit >> 6] |= 1UL << bit;
        Hash ^= Mix(bit);
    }

    /// <summary>Removes a member that is in the set.</summary>
    public void Clear(int bit)
    {
        words[bit >> 6] &= ~(1UL << bit);
        Hash ^= Mix(bit);
    }

    /// <summary>Copies the set compactly.</summary>
    public BitSnapshot Snapshot()
    {
        var end = words.Length;
        while (end > 0 && words[end - 1] == 0)
        {
            end--;
        }

        var start = 0;
        while (start < end && words[start] == Full)
        {
            start++;
        }

        return new BitSnapshot(start, words[start..end]);
    }

    /// <summary>True when the set holds exactly the members of <paramref name="snapshot"/>.</summary>
    public bool SetEquals(BitSnapshot snapshot)
    {
        var start = snapshot.Start;
        var end = start + snapshot.Words.Length;
        for (var i = 0; i < words.Length; i++)
        {
            var expected = i < start ? Full : i < end ? snapshot.Words[i - start] : 0;
            if (words[i] != expected)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every member of <paramref name="snapshot"/> is in the set.</summary>
    public bool IsSupersetOf(BitSnapshot snapshot)
    {
        var start = snapshot.Start;
        for (var i = 0; i < start; i++)
        {
            if (words[i] != Full)
            {
                return false;
            }
        }

        for (var i = 0; i < snapshot.Words.Length; i++)
        {
            if ((snapshot.Words[i] & ~words[start + i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    // SplitMix64 finalizer: a fixed pseudo-random 64-bit key per index keeps runs deterministic.
    private static ulong Mix(int bit)
    {
        var z = (ulong)bit + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
