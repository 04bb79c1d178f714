using GeoLedger.Ledger.Transactions;

namespace GeoLedger.Api;

/// <summary>
/// A 200 <c>{succeeded, revision, results}</c>, streamed (<see cref="StreamedJson"/>): gets may return many large values.
/// Each result is <c>{"put": {key, revision}}</c>, <c>{"delete": {key, deleted}}</c> or <c>{"get": {key, found, value, revision}}</c>
/// (without value and revision when the key is absent).
/// </summary>
internal sealed class TxnResult(TransactionResult result, long revision) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var json = StreamedJson.Start(context);
        await json.WriteAsync(result.Succeeded ? """{"succeeded":true,"revision":"""u8.ToArray() : """{"succeeded":false,"revision":"""u8.ToArray());
        await json.WriteNumberAsync(revision);
        await json.WriteAsync(""","results":["""u8.ToArray());
        for (var i = 0; i < result.Results.Count && json.Open; i++)
        {
            var item = result.Results[i];
            if (i > 0)
                await json.WriteAsync(","u8.ToArray());
            switch (item.Kind)
            {
                case TxnOperationKind.Put:
                    await json.WriteAsync("""{"put":{"key":"""u8.ToArray());
                    await json.WriteStringAsync(item.Key);
                    await json.WriteAsync(""","revision":"""u8.ToArray());
                    await json.WriteNumberAsync(item.Entry!.Revision);
                    await json.WriteAsync("}}"u8.ToArray());
                    break;
                case TxnOperationKind.Delete:
                    await json.WriteAsync("""{"delete":{"key":"""u8.ToArray());
                    await json.WriteStringAsync(item.Key);
                    await json.WriteAsync(item.Deleted ? ""","deleted":true}}"""u8.ToArray() : ""","deleted":false}}"""u8.ToArray());
                    break;
                default:
                    await json.WriteAsync("""{"get":{"key":"""u8.ToArray());
                    await json.WriteStringAsync(item.Key);
                    if (item.Entry is { } entry)
                    {
                        await json.WriteAsync(""","found":true,"value":"""u8.ToArray());
                        await json.WriteAsync(entry.Value);
                        await json.WriteAsync(""","revision":"""u8.ToArray());
                        await json.WriteNumberAsync(entry.Revision);
                        await json.WriteAsync("}}"u8.ToArray());
                    }
                    else
                    {
                        await json.WriteAsync(""","found":false}}"""u8.ToArray());
                    }

                    break;
            }
        }

        await json.WriteAsync("]}"u8.ToArray());
    }
}
