using System.Net;
using System.Net.Sockets;
using System.Text;
using GeoLedger.Faults.Workload;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// A node that reads a write and dies before answering (a SIGKILLed leader) must see that write once:
/// a resend answered by a restarted node would be recorded as the write's outcome.
/// </summary>
public sealed class SingleSendHttpTests
{
    // Only a bound on a loopback connect, never what a test waits for: 1 s timed out once in CI, with three test
    // projects starting at once on two cores.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AWriteWhoseConnectionDiesUnansweredIsNotSentAgain()
    {
        await using var node = new DyingNode();
        using var http = SingleSendHttp.Create(ConnectTimeout);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, node.Url("/v1/kv/k"))));

        Assert.IsType<ResendRefusedException>(error.InnerException);
        Assert.Equal(1, node.Requests);
    }

    [Fact]
    public async Task EveryRequestGetsItsOwnConnectionAndAnswersStillArrive()
    {
        await using var node = new DyingNode(dieOnRequest: 0);
        using var http = SingleSendHttp.Create(ConnectTimeout);

        for (var i = 0; i < 3; i++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, node.Url("/v1/kv/k")) { Content = new StringContent("{\"value\":1}") };
            using var response = await http.SendAsync(put);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(3, node.Requests);
        Assert.Equal(3, node.Connections);
    }

    [Fact]
    public async Task AFollowedRedirectMayConnectOnceMoreButTheLeaderStillSeesTheWriteOnce()
    {
        await using var leader = new DyingNode();
        await using var follower = new DyingNode(dieOnRequest: 0, redirectTo: leader.Url("/v1/kv/k"));
        using var http = SingleSendHttp.Create(ConnectTimeout, followRedirects: true);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, follower.Url("/v1/kv/k"))));

        Assert.IsType<ResendRefusedException>(error.InnerException);
        Assert.Equal(1, follower.Requests);
        Assert.Equal(1, leader.Requests);
    }

    /// <summary>
    /// The library behaviour the client works around, kept visible: if this starts failing, .NET no
    /// longer resends and <see cref="SingleSendHttp"/> could go back to pooled connections.
    /// </summary>
    [Fact]
    public async Task APlainSocketsHandlerSendsTheSameDeleteTwice()
    {
        await using var node = new DyingNode();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, node.Url("/v1/kv/k")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // what a restarted node without a leader answers
        Assert.Equal(2, node.Requests);
    }

    /// <summary>
    /// A loopback HTTP/1.1 server whose request number <c>dieOnRequest</c> (1-based) is read and then
    /// dropped with a reset, as a killed process does; every other request gets a 503, or a 307 to
    /// <c>redirectTo</c>.
    /// </summary>
    private sealed class DyingNode : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly Task accepting;
        private readonly int dieOnRequest;
        private readonly byte[] answer;
        private int requests;
        private int connections;

        public DyingNode(int dieOnRequest = 1, Uri? redirectTo = null)
        {
            this.dieOnRequest = dieOnRequest;
            answer = Encoding.ASCII.GetBytes(redirectTo is null
                ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                : $"HTTP/1.1 307 Temporary Redirect\r\nLocation: {redirectTo}\r\nContent-Length: 0\r\n\r\n");
            listener.Start();
            accepting = AcceptAsync();
        }

        public int Requests => Volatile.Read(ref requests);

        public int Connections => Volatile.Read(ref connections);

        public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}{path}");

        private async Task AcceptAsync()
        {
            var serving = new List<Task>();
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    Interlocked.Increment(ref connections);
                    serving.Add(ServeAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(serving);
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var pending = new StringBuilder();
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer, stop.Token);
                    if (read == 0)
                        return;
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    var text = pending.ToString();
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                        continue;
                    var length = ContentLength(text[..end]);
                    if (text.Length < end + 4 + length)
                        continue;
                    pending.Remove(0, end + 4 + length);

                    if (Interlocked.Increment(ref requests) == dieOnRequest)
                    {
                        client.Client.LingerState = new LingerOption(true, 0); // close with a reset, no answer byte
                        return;
                    }

                    await stream.WriteAsync(answer, stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        }

        private static int ContentLength(string head)
        {
            foreach (var line in head.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }

            return 0;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await accepting;
            stop.Dispose();
        }
    }
}
