using System.IO.Pipelines;
using GeoLedger.Api;
using GeoLedger.Auth;
using GeoLedger.Ledger;
using GeoLedger.OpenApi;

namespace GeoLedger.Backup;

/// <summary>
/// <c>GET /v1/backup</c>: the whole store at one revision, as a snapshot file (<see cref="SnapshotFormat"/>, checksummed end
/// to end), for <c>restore</c>. Needs a write token: a backup holds every value.
/// </summary>
internal static class BackupApi
{
    /// <summary>The answer's header naming the backup's revision.</summary>
    public const string RevisionHeader = "X-GeoLedger-Backup-Revision";

    public static IEndpointRouteBuilder MapBackupApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/backup", GetAsync).RequireAuthorization(AccessPolicies.Write).DescribeBackup();
        return routes;
    }

    /// <summary><c>GET /v1/backup</c>: after a read barrier, so it holds every write acknowledged before it was asked for.</summary>
    public static async Task<IResult> GetAsync(HttpContext context, LedgerStore store, ReadGate gate, ILogger<BackupResult> logger)
    {
        if (!RequestReader.TryReadConsistency(context, out var consistency, out var error))
            return error!;
        if (await gate.EnterAsync(context, consistency) is { } unavailable)
            return unavailable;
        return new BackupResult(store.Current, logger);
    }
}

/// <summary>Streams one immutable store version as a snapshot file; writes and applies go on meanwhile.</summary>
internal sealed class BackupResult(StoreVersion version, ILogger<BackupResult> logger) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        response.Headers[BackupApi.RevisionHeader] = version.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.ContentDisposition = $"attachment; filename=\"geoledger-{version.Revision}.backup\"";
        var token = context.RequestAborted;
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024));
        // The format's writer is synchronous; it runs beside the copy and waits on the pipe while the client is slower.
        var writer = Task.Run(
            async () =>
            {
                try
                {
                    await using (var stream = pipe.Writer.AsStream())
                        SnapshotFormat.Write(stream, version, version.Revision, term: 0, token);
                }
                catch (Exception e)
                {
                    await pipe.Writer.CompleteAsync(e);
                    throw;
                }
            },
            token);
        try
        {
            await pipe.Reader.CopyToAsync(response.Body, token);
            await pipe.Reader.CompleteAsync();
            await writer;
            LogMessages.BackupServed(logger, version.Revision, version.Keys.Count);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away: the backup is incomplete, which its checksum shows to restore.
            await pipe.Reader.CompleteAsync();
            LogMessages.BackupAbandoned(logger, version.Revision, e.GetType().Name);
        }
    }
}
