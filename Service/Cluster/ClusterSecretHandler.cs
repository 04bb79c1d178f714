namespace GeoLedger.Cluster;

/// <summary>Adds the cluster secret to every outgoing Raft request.</summary>
internal sealed class ClusterSecretHandler(ClusterSecret secret) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (secret.Value is not null)
            request.Headers.TryAddWithoutValidation(ClusterSecret.HeaderName, secret.Value);
        return base.SendAsync(request, cancellationToken);
    }
}
