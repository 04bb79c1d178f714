using System.Diagnostics;
using System.Globalization;
using GeoLedger.Cluster;

namespace GeoLedger.Telemetry;

/// <summary>
/// Wraps the handlers of .NEXT's outgoing Raft requests: times every request per member and message type, and
/// reads each AppendEntries answer's log end (<c>X-Raft-Last-Index</c>) as that member's replication progress.
/// </summary>
internal sealed class RaftTrafficObserver(IHttpMessageHandlerFactory inner, NodeConfig config, LedgerMetrics metrics) : IHttpMessageHandlerFactory
{
    /// <summary>.NEXT's answer header carrying the follower's last log index after an AppendEntries.</summary>
    private const string LastIndexHeader = "X-Raft-Last-Index";

    private readonly LedgerMetrics metrics = metrics;
    private readonly Dictionary<string, string> memberByAuthority = config.Members.ToDictionary(m => m.Raft.GetLeftPart(UriPartial.Authority), m => m.Id, StringComparer.OrdinalIgnoreCase);

    public HttpMessageHandler CreateHandler(string name) => new Handler(this) { InnerHandler = inner.CreateHandler(name) };

    private sealed class Handler(RaftTrafficObserver observer) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var member = request.RequestUri is { } uri && observer.memberByAuthority.TryGetValue(uri.GetLeftPart(UriPartial.Authority), out var id) ? id : "unknown";
            var message = request.Headers.TryGetValues(RaftHeaders.MessageType, out var types) ? types.FirstOrDefault() ?? "unknown"
                : request.RequestUri?.AbsolutePath == ReadIndex.Path ? "ReadIndex" : "other";
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (message == "AppendEntries" && response.IsSuccessStatusCode
                    && response.Headers.TryGetValues(LastIndexHeader, out var values)
                    && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var lastIndex))
                    observer.metrics.MemberReplicated(member, lastIndex);
                return response;
            }
            finally
            {
                observer.metrics.RaftRequestDone(member, message, Stopwatch.GetElapsedTime(started));
            }
        }
    }
}
