using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.AspNetCore.Http.Features;

namespace GeoLedger.Cluster;

/// <summary>
/// Holds a follower's answer to AppendEntries until its log is flushed (an installed snapshot is
/// already fsynced by the state machine, and after one there may be no entry left to flush). .NEXT
/// 6.12 acknowledges an append once the entries are written to the memory-mapped log, before the
/// flush that also records them in the log's checkpoint; a follower process killed in between comes
/// back without them. With the leader killed at the same moment, an acknowledged write was lost (the
/// fault suite's majority crash). After this, every acknowledgement counted toward a commit is on disk.
/// </summary>
internal sealed class FlushBeforeAck(RequestDelegate next, WriteAheadLog log)
{
    private const string MessageTypeHeader = "X-Raft-Message-Type";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers[MessageTypeHeader].FirstOrDefault() is not "AppendEntries")
        {
            await next(context);
            return;
        }

        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        var held = new StreamResponseBodyFeature(buffer);
        context.Features.Set<IHttpResponseBodyFeature>(held);
        try
        {
            await next(context);
            await held.CompleteAsync();
        }
        finally
        {
            context.Features.Set(original);
        }

        await log.FlushAsync(context.RequestAborted);
        buffer.Position = 0;
        await buffer.CopyToAsync(original.Stream, context.RequestAborted);
    }
}
