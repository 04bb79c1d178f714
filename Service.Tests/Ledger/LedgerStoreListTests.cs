using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary><see cref="LedgerStore.List"/>: prefix, paging with <c>after</c>/<c>next</c>, and the edges.</summary>
public sealed class LedgerStoreListTests
{
    private static LedgerStore StoreWith(params string[] keys)
    {
        var store = new LedgerStore();
        var index = 0L;
        foreach (var key in keys)
            store.Apply(++index, LedgerCommand.Put(key, Encoding.UTF8.GetBytes("0")));
        store.Publish();
        return store;
    }

    private static string[] Keys((IReadOnlyList<LedgerEntry> Items, string? Next) page) => page.Items.Select(e => e.Key).ToArray();

    [Fact]
    public void An_empty_store_lists_nothing()
    {
        var store = new LedgerStore();

        Assert.Equal((0, null), (store.List("", null, 10).Items.Count, store.List("", null, 10).Next));
        Assert.Empty(store.List("a", "a", 1).Items);
    }

    [Fact]
    public void Keys_come_in_ordinal_order_whatever_the_order_of_writes()
    {
        var store = StoreWith("b", "a/2", "B", "a", "a/10", "a/1");

        Assert.Equal(["B", "a", "a/1", "a/10", "a/2", "b"], Keys(store.List("", null, 100)));
    }

    [Fact]
    public void A_prefix_equal_to_a_key_includes_that_key_and_its_extensions_only()
    {
        var store = StoreWith("a", "a/b", "ab", "a0", "b", "`");

        Assert.Equal(["a", "a/b", "a0", "ab"], Keys(store.List("a", null, 100)));
        Assert.Equal(["a/b"], Keys(store.List("a/", null, 100)));
    }

    [Fact]
    public void A_prefix_matching_nothing_lists_nothing_even_between_keys()
    {
        var store = StoreWith("a", "c");

        var page = store.List("b", null, 10);

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public void After_beyond_the_last_key_lists_nothing()
    {
        var store = StoreWith("a", "b");

        var page = store.List("", "zzz", 10);

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public void After_excludes_the_key_it_names()
    {
        var store = StoreWith("a", "b", "c");

        Assert.Equal(["c"], Keys(store.List("", "b", 10)));
    }

    [Fact]
    public void After_before_the_prefix_starts_at_the_prefix()
    {
        var store = StoreWith("a", "p/1", "p/2", "q");

        Assert.Equal(["p/1", "p/2"], Keys(store.List("p/", "a", 10)));
    }

    [Fact]
    public void Next_is_set_only_when_more_keys_follow()
    {
        var store = StoreWith("p/1", "p/2", "p/3", "q");

        Assert.Equal("p/2", store.List("p/", null, 2).Next);
        Assert.Null(store.List("p/", null, 3).Next); // exactly the rest: no empty page to fetch
        Assert.Null(store.List("p/", "p/2", 1).Next);
    }

    [Fact]
    public void Paging_with_next_visits_every_matching_key_once_in_order()
    {
        var keys = Enumerable.Range(0, 23).Select(i => $"p/{i:D3}").ToArray();
        var store = StoreWith([.. keys.Reverse(), "o", "q"]);

        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = store.List("p/", after, 5);
            seen.AddRange(Keys(page));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(keys, seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public void A_limit_below_one_is_a_programming_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LedgerStore().List("", null, 0));
    }

    [Fact]
    public void Deleted_keys_are_not_listed()
    {
        var store = StoreWith("a", "b", "c");
        store.Apply(4, LedgerCommand.Delete("b"));
        store.Publish();

        Assert.Equal(["a", "c"], Keys(store.List("", null, 10)));
        Assert.Null(store.List("", "a", 1).Next);
    }
}
