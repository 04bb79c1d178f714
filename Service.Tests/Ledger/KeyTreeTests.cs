using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The persistent B+ tree against a sorted dictionary: random changes, ordered scans, and versions that never change.</summary>
public sealed class KeyTreeTests
{
    private static LedgerEntry Entry(string key, long revision) => new(key, Encoding.UTF8.GetBytes(revision.ToString(System.Globalization.CultureInfo.InvariantCulture)), revision);

    private static void AssertSame(SortedDictionary<string, long> expected, KeyTree tree)
    {
        Assert.Equal(expected.Count, tree.Count);
        Assert.Equal(expected.Select(p => (p.Key, p.Value)), tree.All().Select(e => (e.Key, e.Revision)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_sets_and_removes_match_a_sorted_dictionary_and_every_published_version_stays_as_it_was(int seed)
    {
        var random = new Random(seed);
        var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var builder = KeyTree.Empty.ToBuilder();
        var versions = new List<(KeyTree Tree, SortedDictionary<string, long> Content)>();
        for (var step = 1; step <= 20_000; step++)
        {
            // Few enough keys that removals empty leaves and merge nodes, many enough for three levels.
            var key = $"k{random.Next(3000):D4}";
            if (random.Next(3) == 0)
            {
                Assert.Equal(expected.Remove(key), builder.Remove(key));
            }
            else
            {
                builder.Set(Entry(key, step));
                expected[key] = step;
            }

            if (step % 1000 == 0)
                versions.Add((builder.ToTree(), new SortedDictionary<string, long>(expected, StringComparer.Ordinal)));
        }

        AssertSame(expected, builder.ToTree());
        foreach (var (tree, content) in versions)
            AssertSame(content, tree);
        foreach (var key in expected.Keys.Take(200))
            Assert.Equal(expected[key], builder.ToTree().Get(key)!.Revision);
        Assert.Null(builder.ToTree().Get("absent"));
    }

    [Fact]
    public void Removing_every_key_leaves_an_empty_tree_that_takes_keys_again()
    {
        var builder = KeyTree.Empty.ToBuilder();
        for (var i = 0; i < 5000; i++)
            builder.Set(Entry($"{i:D5}", i));
        for (var i = 0; i < 5000; i++)
            Assert.True(builder.Remove($"{i:D5}"));

        Assert.Equal(0, builder.Count);
        Assert.Empty(builder.ToTree().All());
        builder.Set(Entry("again", 1));
        Assert.Equal(["again"], builder.ToTree().All().Select(e => e.Key));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("k0500", 500)]
    [InlineData("k0500x", 501)]
    [InlineData("k9999", 2000)]
    public void A_scan_starts_at_the_first_key_at_or_after_its_start(string start, int skipped)
    {
        var keys = Enumerable.Range(0, 2000).Select(i => $"k{i:D4}").ToList();
        var tree = KeyTree.FromSorted(keys.Select((k, i) => Entry(k, i + 1)).ToList());

        Assert.Equal(keys.Skip(skipped), tree.From(start).Select(e => e.Key));
    }

    [Fact]
    public void A_bulk_built_tree_takes_changes_like_any_other()
    {
        var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < 10_000; i += 2)
            expected[$"{i:D6}"] = i;
        var tree = KeyTree.FromSorted(expected.Select(p => Entry(p.Key, p.Value)).ToList());
        AssertSame(expected, tree);

        var builder = tree.ToBuilder();
        for (var i = 1; i < 10_000; i += 4)
        {
            builder.Set(Entry($"{i:D6}", i));
            expected[$"{i:D6}"] = i;
        }

        for (var i = 0; i < 10_000; i += 6)
        {
            builder.Remove($"{i:D6}");
            expected.Remove($"{i:D6}");
        }

        AssertSame(expected, builder.ToTree());
        Assert.Equal(5000, tree.Count); // the bulk-built version is untouched
    }

    [Fact]
    public void Keys_out_of_order_are_refused_by_the_bulk_build()
    {
        Assert.Throws<ArgumentException>(() => KeyTree.FromSorted([Entry("b", 1), Entry("a", 2)]));
        Assert.Throws<ArgumentException>(() => KeyTree.FromSorted([Entry("a", 1), Entry("a", 2)]));
    }
}
