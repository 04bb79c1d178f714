using System.Net;
using System.Net.Http.Headers;
using GeoLedger.Cluster;

namespace GeoLedger.Bench;

/// <summary>
/// One load worker's HTTP client, the same code for every system: HTTP/1.1 keep-alive, one
/// connection per server (so a worker is one sequential client), no automatic redirects.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    private const int MaxRedirects = 3;
    private readonly HttpClient http;

    public LoadClient(TimeSpan timeout)
    {
        http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = ConnectedStream.Callback(), // a node killed right after it accepted fails the request, not the client
        })
        {
            Timeout = timeout,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads the whole answer. A 307/308 is followed (when
    /// <paramref name="followRedirects"/>) as part of the same request. Status 0 is a transport
    /// error, -1 a client timeout.
    /// </summary>
    public async Task<int> SendAsync(KvRequest request, bool followRedirects, CancellationToken token)
    {
        for (var hop = 0; ; hop++)
        {
            using var message = new HttpRequestMessage(request.Method, request.Uri);
            if (request.Body is { } body)
                message.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            try
            {
                using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (followRedirects && status is 307 or 308 && hop < MaxRedirects && response.Headers.Location is { } location)
                {
                    request = request with { Uri = location.IsAbsoluteUri ? location : new Uri(request.Uri, location) };
                    continue;
                }

                return status;
            }
            catch (HttpRequestException)
            {
                return 0;
            }
            catch (TaskCanceledException) when (!token.IsCancellationRequested)
            {
                return -1;
            }
        }
    }

    /// <summary>True for the statuses that count as a success.</summary>
    public static bool IsSuccess(int status) => status is >= 200 and < 300;

    public void Dispose() => http.Dispose();
}
