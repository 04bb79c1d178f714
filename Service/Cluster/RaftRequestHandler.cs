using GeoLedger.Storage;

namespace GeoLedger.Cluster;

/// <summary>
/// Shapes every outgoing Raft request: adds the cluster secret, and gives votes a short deadline of
/// their own. .NEXT applies one rpc timeout to every Raft call, and a candidate waits for every vote
/// before counting; a long timeout (needed so a far-behind follower can take a large batch or
/// snapshot) would let a frozen member stall every election past the candidate timeout. Votes are
/// tiny, so they fail fast instead and the candidate counts the frozen member as unavailable.
/// </summary>
internal sealed class RaftRequestHandler(ClusterSecret secret, TimeSpan voteTimeout) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (secret.Value is not null)
            request.Headers.TryAddWithoutValidation(ClusterSecret.HeaderName, secret.Value);
        ReplicationProbe.Observe(request.RequestUri); // which member a replication read of the log is for
        if (!IsVote(request))
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(voteTimeout);
        try
        {
            return await base.SendAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TaskCanceledException($"No vote within {voteTimeout.TotalMilliseconds:0} ms", new TimeoutException(e.Message, e));
        }
    }

    private static bool IsVote(HttpRequestMessage request) =>
        request.Headers.TryGetValues(RaftHeaders.MessageType, out var values) && values.FirstOrDefault() is "RequestVote" or "PreVote";
}
