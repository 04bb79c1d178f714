using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// One page of <c>GET /v1/kv</c>, <c>{items: [{key, value, revision}], next}</c>, streamed (<see cref="StreamedJson"/>).
/// The page's bytes stay taken from the list budget until its last byte is handed to the connection.
/// </summary>
internal sealed class ListPageResult(IReadOnlyList<LedgerEntry> items, string? next, ByteBudget.Lease lease) : IResult
{
    private static readonly byte[] Start = "{\"items\":["u8.ToArray();
    private static readonly byte[] Comma = ","u8.ToArray();
    private static readonly byte[] NextName = "],\"next\":"u8.ToArray();
    private static readonly byte[] Null = "null"u8.ToArray();
    private static readonly byte[] End = "}"u8.ToArray();

    /// <summary>The bytes an entry adds to a page, as counted against <see cref="NodeLimits.MaxListPageBytes"/>.</summary>
    public static long EntryBytes(LedgerEntry entry) => System.Text.Encoding.UTF8.GetByteCount(entry.Key) + entry.Value.Length + 48;

    public async Task ExecuteAsync(HttpContext context)
    {
        using (lease)
        {
            await using var json = StreamedJson.Start(context);
            await json.WriteAsync(Start);
            for (var i = 0; i < items.Count && json.Open; i++)
            {
                if (i > 0)
                    await json.WriteAsync(Comma);
                await json.WriteEntryAsync(items[i]);
            }

            await json.WriteAsync(NextName);
            if (next is null)
                await json.WriteAsync(Null);
            else
                await json.WriteStringAsync(next);
            await json.WriteAsync(End);
        }
    }
}
