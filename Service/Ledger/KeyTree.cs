namespace GeoLedger.Ledger;

/// <summary>
/// An immutable, ordinally sorted map from key to <see cref="LedgerEntry"/>: a B+ tree whose
/// changes copy only the path they touch, so a version is kept for free while newer ones are built.
/// Readers use a version without locks; a snapshot serializes a version in the background while the
/// state machine goes on applying. Changes are made through a <see cref="Builder"/>, which mutates
/// in place the nodes it created itself since its last <see cref="Builder.ToTree"/>.
/// </summary>
public sealed class KeyTree
{
    /// <summary>Entries per leaf and children per inner node, at most.</summary>
    internal const int Fanout = 32;

    /// <summary>How full a bulk-built node is, leaving room for inserts without splits.</summary>
    private const int BulkFill = Fanout * 3 / 4;

    private readonly Node? root;

    private KeyTree(Node? root, int count)
    {
        this.root = root;
        Count = count;
    }

    /// <summary>The empty tree.</summary>
    public static KeyTree Empty { get; } = new(null, 0);

    /// <summary>Number of keys.</summary>
    public int Count { get; }

    /// <summary>The entry of <paramref name="key"/>, or null.</summary>
    public LedgerEntry? Get(string key)
    {
        var node = root;
        while (node is Inner inner)
            node = inner.Children[inner.ChildFor(key)];
        if (node is not Leaf leaf)
            return null;
        var at = leaf.Find(key);
        return at >= 0 ? leaf.Items[at] : null;
    }

    /// <summary>The entries from the first key at or after <paramref name="start"/>, in order.</summary>
    public IEnumerable<LedgerEntry> From(string start)
    {
        if (root is null)
            yield break;

        // The path to the leaf holding start's position, then leaves to its right.
        var path = new Stack<(Inner Node, int Child)>();
        var node = root;
        while (node is Inner inner)
        {
            var child = inner.ChildFor(start);
            path.Push((inner, child));
            node = inner.Children[child];
        }

        var leaf = (Leaf)node;
        var at = leaf.Find(start);
        var index = at >= 0 ? at : ~at;
        while (true)
        {
            for (; index < leaf.Count; index++)
                yield return leaf.Items[index];

            // Next leaf: climb until a node has a child to the right, then descend to its leftmost leaf.
            Node? next = null;
            while (path.Count > 0)
            {
                var (parent, child) = path.Pop();
                if (child + 1 < parent.Count)
                {
                    path.Push((parent, child + 1));
                    next = parent.Children[child + 1];
                    break;
                }
            }

            if (next is null)
                yield break;
            while (next is Inner inner)
            {
                path.Push((inner, 0));
                next = inner.Children[0];
            }

            leaf = (Leaf)next;
            index = 0;
        }
    }

    /// <summary>Every entry in key order.</summary>
    public IEnumerable<LedgerEntry> All() => From("");

    /// <summary>A builder starting from this version (which stays unchanged).</summary>
    public Builder ToBuilder() => new(root, Count);

    /// <summary>Builds a tree from entries in strictly increasing ordinal key order, in linear time.</summary>
    /// <exception cref="ArgumentException">The keys are not strictly increasing.</exception>
    public static KeyTree FromSorted(IReadOnlyList<LedgerEntry> sorted)
    {
        if (sorted.Count == 0)
            return Empty;
        var level = new List<Node>((sorted.Count / BulkFill) + 1);
        for (var start = 0; start < sorted.Count; start += BulkFill)
        {
            var count = Math.Min(BulkFill, sorted.Count - start);
            var leaf = new Leaf(null, count);
            for (var i = 0; i < count; i++)
            {
                var entry = sorted[start + i];
                if (start + i > 0 && string.CompareOrdinal(sorted[start + i - 1].Key, entry.Key) >= 0)
                    throw new ArgumentException($"keys are not in strictly increasing order at '{entry.Key}'", nameof(sorted));
                leaf.Items[i] = entry;
            }

            leaf.Count = count;
            level.Add(leaf);
        }

        while (level.Count > 1)
        {
            var parents = new List<Node>((level.Count / BulkFill) + 1);
            var start = 0;
            while (start < level.Count)
            {
                var count = Math.Min(BulkFill, level.Count - start);
                if (level.Count - (start + count) == 1)
                    count--; // never leave a single child for the last inner node
                var inner = new Inner(null);
                for (var i = 0; i < count; i++)
                {
                    inner.Children[i] = level[start + i];
                    if (i > 0)
                        inner.Keys[i - 1] = level[start + i].FirstKey;
                }

                inner.Count = count;
                parents.Add(inner);
                start += count;
            }

            level = parents;
        }

        return new KeyTree(level[0], sorted.Count);
    }

    /// <summary>
    /// Makes changes to a tree. Nodes it creates are its own and are changed in place until
    /// <see cref="ToTree"/>, after which they belong to the returned version and are copied again.
    /// Not thread-safe: one writer.
    /// </summary>
    public sealed class Builder
    {
        private Node? root;
        private object edit = new();

        internal Builder(Node? root, int count)
        {
            this.root = root;
            Count = count;
        }

        /// <summary>Number of keys.</summary>
        public int Count { get; private set; }

        /// <summary>The entry of <paramref name="key"/>, or null.</summary>
        public LedgerEntry? Get(string key) => new KeyTree(root, Count).Get(key);

        /// <summary>Sets the entry of its key (adds the key or replaces its entry).</summary>
        public void Set(LedgerEntry entry)
        {
            if (root is null)
            {
                var leaf = new Leaf(edit, 1);
                leaf.Items[0] = entry;
                leaf.Count = 1;
                root = leaf;
                Count = 1;
                return;
            }

            var (node, split, added) = Insert(root, entry);
            if (split is not null)
            {
                var top = new Inner(edit);
                top.Children[0] = node;
                top.Children[1] = split;
                top.Keys[0] = split.FirstKey;
                top.Count = 2;
                node = top;
            }

            root = node;
            if (added)
                Count++;
        }

        /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
        public bool Remove(string key)
        {
            if (root is null)
                return false;
            var (node, removed) = Delete(root, key);
            if (!removed)
                return false;
            while (node is Inner { Count: 1 } only)
                node = only.Children[0];
            root = node is { Count: > 0 } ? node : null;
            Count--;
            return true;
        }

        /// <summary>The current content as an immutable version; later changes do not affect it.</summary>
        public KeyTree ToTree()
        {
            edit = new object();
            return new KeyTree(root, Count);
        }

        private (Node Node, Node? Split, bool Added) Insert(Node node, LedgerEntry entry)
        {
            if (node is Leaf leaf)
            {
                var at = leaf.Find(entry.Key);
                leaf = Own(leaf);
                if (at >= 0)
                {
                    leaf.Items[at] = entry;
                    return (leaf, null, false);
                }

                at = ~at;
                if (leaf.Count < Fanout)
                {
                    Array.Copy(leaf.Items, at, leaf.Items, at + 1, leaf.Count - at);
                    leaf.Items[at] = entry;
                    leaf.Count++;
                    return (leaf, null, true);
                }

                // Split a full leaf in halves, then insert into the half it belongs to.
                var right = new Leaf(edit, Fanout);
                const int half = Fanout / 2;
                Array.Copy(leaf.Items, half, right.Items, 0, Fanout - half);
                Array.Clear(leaf.Items, half, Fanout - half);
                right.Count = Fanout - half;
                leaf.Count = half;
                var target = at <= half ? leaf : right;
                var position = at <= half ? at : at - half;
                Array.Copy(target.Items, position, target.Items, position + 1, target.Count - position);
                target.Items[position] = entry;
                target.Count++;
                return (leaf, right, true);
            }

            var inner = (Inner)node;
            var child = inner.ChildFor(entry.Key);
            var (updated, split, added) = Insert(inner.Children[child], entry);
            inner = Own(inner);
            inner.Children[child] = updated;
            if (split is null)
                return (inner, null, added);

            if (inner.Count < Fanout)
            {
                InsertChild(inner, child + 1, split);
                return (inner, null, added);
            }

            var rightInner = new Inner(edit);
            const int innerHalf = Fanout / 2;
            for (var i = innerHalf; i < Fanout; i++)
            {
                rightInner.Children[i - innerHalf] = inner.Children[i];
                if (i > innerHalf)
                    rightInner.Keys[i - innerHalf - 1] = inner.Keys[i - 1];
                inner.Children[i] = null!;
                if (i > 0)
                    inner.Keys[i - 1] = null!;
            }

            rightInner.Count = Fanout - innerHalf;
            inner.Count = innerHalf;
            if (child + 1 <= innerHalf)
                InsertChild(inner, child + 1, split);
            else
                InsertChild(rightInner, child + 1 - innerHalf, split);
            return (inner, rightInner, added);
        }

        private (Node Node, bool Removed) Delete(Node node, string key)
        {
            if (node is Leaf leaf)
            {
                var at = leaf.Find(key);
                if (at < 0)
                    return (leaf, false);
                leaf = Own(leaf);
                Array.Copy(leaf.Items, at + 1, leaf.Items, at, leaf.Count - at - 1);
                leaf.Count--;
                leaf.Items[leaf.Count] = null!;
                return (leaf, true);
            }

            var inner = (Inner)node;
            var child = inner.ChildFor(key);
            var (updated, removed) = Delete(inner.Children[child], key);
            if (!removed)
                return (inner, false);
            inner = Own(inner);
            inner.Children[child] = updated;
            if (updated.Count == 0)
            {
                RemoveChild(inner, child);
            }
            else if (updated.Count < Fanout / 4)
            {
                // Merge a sparse child into a neighbour when both fit in one node.
                var left = child > 0 ? child - 1 : child;
                if (left + 1 < inner.Count && inner.Children[left].Count + inner.Children[left + 1].Count <= Fanout)
                {
                    inner.Children[left] = Merge(inner.Children[left], inner.Children[left + 1], inner.Keys[left]);
                    RemoveChild(inner, left + 1);
                }
            }

            if (child > 0 && child < inner.Count && inner.Children[child].Count > 0)
                inner.Keys[child - 1] = inner.Children[child].FirstKey;
            return (inner, true);
        }

        private Node Merge(Node left, Node right, string separator)
        {
            if (left is Leaf leftLeaf)
            {
                var merged = Own(leftLeaf);
                var rightLeaf = (Leaf)right;
                Array.Copy(rightLeaf.Items, 0, merged.Items, merged.Count, rightLeaf.Count);
                merged.Count += rightLeaf.Count;
                return merged;
            }

            var mergedInner = Own((Inner)left);
            var rightInner = (Inner)right;
            for (var i = 0; i < rightInner.Count; i++)
            {
                mergedInner.Children[mergedInner.Count + i] = rightInner.Children[i];
                mergedInner.Keys[mergedInner.Count + i - 1] = i == 0 ? separator : rightInner.Keys[i - 1];
            }

            mergedInner.Count += rightInner.Count;
            return mergedInner;
        }

        private static void InsertChild(Inner inner, int at, Node child)
        {
            Array.Copy(inner.Children, at, inner.Children, at + 1, inner.Count - at);
            Array.Copy(inner.Keys, at - 1, inner.Keys, at, inner.Count - at);
            inner.Children[at] = child;
            inner.Keys[at - 1] = child.FirstKey;
            inner.Count++;
        }

        private static void RemoveChild(Inner inner, int at)
        {
            Array.Copy(inner.Children, at + 1, inner.Children, at, inner.Count - at - 1);
            if (at > 0)
                Array.Copy(inner.Keys, at, inner.Keys, at - 1, inner.Count - at - 1);
            else if (inner.Count > 1)
                Array.Copy(inner.Keys, 1, inner.Keys, 0, inner.Count - 2);
            inner.Count--;
            inner.Children[inner.Count] = null!;
            if (inner.Count > 0)
                inner.Keys[inner.Count - 1] = null!;
        }

        private Leaf Own(Leaf leaf) => leaf.Edit == edit ? leaf : leaf.Copy(edit);

        private Inner Own(Inner inner) => inner.Edit == edit ? inner : inner.Copy(edit);
    }

    internal abstract class Node(object? edit)
    {
        /// <summary>The builder that may change this node in place; null for nodes of a published version.</summary>
        public object? Edit { get; } = edit;

        public int Count { get; set; }

        public abstract string FirstKey { get; }
    }

    internal sealed class Leaf(object? edit, int capacity) : Node(edit)
    {
        public LedgerEntry[] Items { get; } = new LedgerEntry[Math.Max(capacity, Fanout)];

        public override string FirstKey => Items[0].Key;

        /// <summary>The position of <paramref name="key"/>, or the bitwise complement of where it would go.</summary>
        public int Find(string key)
        {
            int low = 0, high = Count - 1;
            while (low <= high)
            {
                var middle = (low + high) >>> 1;
                var order = string.CompareOrdinal(Items[middle].Key, key);
                if (order == 0)
                    return middle;
                if (order < 0)
                    low = middle + 1;
                else
                    high = middle - 1;
            }

            return ~low;
        }

        public Leaf Copy(object edit)
        {
            var copy = new Leaf(edit, Fanout) { Count = Count };
            Array.Copy(Items, copy.Items, Count);
            return copy;
        }
    }

    internal sealed class Inner(object? edit) : Node(edit)
    {
        /// <summary>Keys[i] is the smallest key under Children[i + 1].</summary>
        public string[] Keys { get; } = new string[Fanout - 1 + 1];

        public Node[] Children { get; } = new Node[Fanout + 1];

        public override string FirstKey => Children[0].FirstKey;

        /// <summary>The child whose range holds <paramref name="key"/>.</summary>
        public int ChildFor(string key)
        {
            int low = 0, high = Count - 2;
            while (low <= high)
            {
                var middle = (low + high) >>> 1;
                if (string.CompareOrdinal(Keys[middle], key) <= 0)
                    low = middle + 1;
                else
                    high = middle - 1;
            }

            return low;
        }

        public Inner Copy(object edit)
        {
            var copy = new Inner(edit) { Count = Count };
            Array.Copy(Children, copy.Children, Count);
            Array.Copy(Keys, copy.Keys, Math.Max(Count - 1, 0));
            return copy;
        }
    }
}
