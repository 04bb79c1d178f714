using GeoLedger.Auth;
using GeoLedger.Ledger;
using GeoLedger.OpenApi;
using GeoLedger.Telemetry;

namespace GeoLedger.Api;

/// <summary><c>POST /v1/txn</c>: compares, then a success or a failure branch of puts, deletes and gets, atomically as one log entry.</summary>
internal static class TxnApi
{
    public static IEndpointRouteBuilder MapTxnApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/txn", PostAsync).RequireAuthorization(AccessPolicies.Write).DescribeTxn();
        return routes;
    }

    /// <summary><c>POST /v1/txn</c>.</summary>
    public static async Task<IResult> PostAsync(HttpContext context, LedgerWriter writer, LedgerOptions options)
    {
        // Room for the JSON around the keys and values, and for escapes that the stored text drops.
        var limit = 2L * options.MaxTxnBytes + 64 * 1024;
        var (body, error) = await RequestReader.ReadJsonBodyAsync(context, limit, TxnRequestParser.Shape, length =>
            Problems.TooLarge(
                "Body too large: send a smaller transaction",
                $"The body is {(length is { } l ? $"{l} bytes" : "longer than that")}; a transaction may be at most {limit} bytes of JSON and {options.MaxTxnBytes} bytes of keys and values (Ledger:MaxTxnBytes)."));
        if (error is not null)
            return error;
        using (body)
        {
            (var command, error) = new TxnRequestParser(options).Parse(body!.Document.RootElement);
            if (error is not null)
                return error;
            var outcome = await writer.WriteObservedAsync(command!, context);
            if (outcome is WriteOutcome.Applied stamped)
                RevisionReads.Stamp(context, stamped.Result.Index);
            return outcome switch
            {
                WriteOutcome.NotLeader notLeader => Problems.RedirectToLeader(context, notLeader.Leader),
                WriteOutcome.Unknown unknown => Problems.OutcomeUnknown(unknown.Reason),
                WriteOutcome.DiskFull full => Problems.DiskFull(context, full.Detail),
                WriteOutcome.Applied { Result.Transaction: { } result } applied => new TxnResult(result, applied.Result.Index),
                _ => throw new InvalidOperationException($"Unexpected transaction outcome {outcome}"),
            };
        }
    }
}
