namespace GeoLedger.Faults.Checker;

/// <summary>
/// The doubly linked list of events not yet linearized (dancing links): removal and re-insertion are O(1)
/// as long as re-insertions undo removals in reverse order, which the depth-first search guarantees.
/// </summary>
internal sealed class EventList
{
    /// <summary>Marks the end of the list.</summary>
    public const int End = -1;

    private readonly int[] next;
    private readonly int[] prev;
    private readonly int head;

    /// <summary>Links <paramref name="members"/>, in their order, out of entries 0..capacity-1.</summary>
    public EventList(int capacity, IReadOnlyList<int> members)
    {
        head = capacity;
        next = new int[capacity + 1];
        prev = new int[capacity + 1];
        var previous = head;
        foreach (var member in members)
        {
            next[previous] = member;
            prev[member] = previous;
            previous = member;
        }

        next[previous] = End;
    }

    /// <summary>The first entry still in the list, or <see cref="End"/>.</summary>
    public int First => next[head];

    /// <summary>The entry after <paramref name="entry"/>, or <see cref="End"/>.</summary>
    public int Next(int entry) => next[entry];

    /// <summary>Removes an operation's call entry and, when it has one, its return entry.</summary>
    public void Lift(int call, int ret)
    {
        Remove(call);
        if (ret != End)
        {
            Remove(ret);
        }
    }

    /// <summary>Undoes the matching <see cref="Lift"/>.</summary>
    public void Unlift(int call, int ret)
    {
        if (ret != End)
        {
            Restore(ret);
        }

        Restore(call);
    }

    private void Remove(int entry)
    {
        next[prev[entry]] = next[entry];
        if (next[entry] != End)
        {
            prev[next[entry]] = prev[entry];
        }
    }

    private void Restore(int entry)
    {
        next[prev[entry]] = entry;
        if (next[entry] != End)
        {
            prev[next[entry]] = entry;
        }
    }
}
