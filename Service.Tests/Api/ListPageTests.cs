using System.Net;
using System.Text.Json;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node whose list pages hold at most 10,000 bytes of entries.</summary>
public sealed class SmallPageNodeFixture() : NodeFixture(new() { ["Ledger:MaxListPageBytes"] = "10000" })
{
    /// <summary>Ten values of 3,000 bytes under <c>page/</c>: three fit in a page.</summary>
    public const int Values = 10;

    public static readonly string Value = JsonSerializer.Serialize(new string('p', 2998));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        for (var i = 0; i < Values; i++)
        {
            using var response = await Client.PutAsync($"/v1/kv/page/{i:D2}", ApiAssert.Value(Value));
            response.EnsureSuccessStatusCode();
        }
    }
}

/// <summary>
/// A list page stops at <c>Ledger:MaxListPageBytes</c> as well as at <c>limit</c>, keeping the documented
/// <c>{items, next}</c>: <c>next</c> says where to go on, and paging visits every entry once.
/// </summary>
public sealed class ListPageTests(SmallPageNodeFixture node) : IClassFixture<SmallPageNodeFixture>
{
    private async Task<(List<JsonElement> Items, string? Next)> PageAsync(string query)
    {
        using var response = await node.Client.GetAsync("/v1/kv?prefix=page/&consistency=local" + query);
        var body = await BodyAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (body.GetProperty("items").EnumerateArray().ToList(), body.GetProperty("next").GetString());
    }

    [Fact]
    public async Task A_page_stops_before_it_would_pass_the_byte_cap_and_next_names_its_last_key()
    {
        var (items, next) = await PageAsync("&limit=1000");

        Assert.Equal(["page/00", "page/01", "page/02"], items.Select(i => i.GetProperty("key").GetString()));
        Assert.All(items, i => Assert.Equal(SmallPageNodeFixture.Value, i.GetProperty("value").GetRawText()));
        Assert.Equal("page/02", next);
    }

    [Fact]
    public async Task Paging_with_next_visits_every_entry_once_in_order()
    {
        var keys = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var (items, next) = await PageAsync("&limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
            keys.AddRange(items.Select(i => i.GetProperty("key").GetString()!));
            after = next;
            pages++;
        }
        while (after is not null && pages < 20);

        Assert.Equal(Enumerable.Range(0, SmallPageNodeFixture.Values).Select(i => $"page/{i:D2}"), keys);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task The_item_limit_still_applies_below_the_byte_cap()
    {
        var (items, next) = await PageAsync("&limit=2");

        Assert.Equal(["page/00", "page/01"], items.Select(i => i.GetProperty("key").GetString()));
        Assert.Equal("page/01", next);
    }

    [Fact]
    public async Task An_entry_larger_than_the_cap_still_comes_alone()
    {
        var big = JsonSerializer.Serialize(new string('b', 20_000));
        using (var put = await node.Client.PutAsync("/v1/kv/alone/big", Value(big)))
            put.EnsureSuccessStatusCode();
        using (var put = await node.Client.PutAsync("/v1/kv/alone/small", Value("1")))
            put.EnsureSuccessStatusCode();

        using var response = await node.Client.GetAsync("/v1/kv?prefix=alone/&consistency=local");
        var body = await BodyAsync(response);

        var item = Assert.Single(body.GetProperty("items").EnumerateArray());
        Assert.Equal(big, item.GetProperty("value").GetRawText());
        Assert.Equal("alone/big", body.GetProperty("next").GetString());
    }
}
