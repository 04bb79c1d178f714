using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>A 200 <c>{key, value, revision}</c> with <c>ETag: "revision"</c>, streamed (<see cref="StreamedJson"/>): a value of megabytes is not copied whole into the response; its length is given up front.</summary>
internal sealed class EntryResult(LedgerEntry entry) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var json = StreamedJson.Start(context, JsonResult.ETag(entry.Revision));
        await json.WriteOnlyEntryAsync(entry);
    }
}
