namespace GeoLedger.Bench;

/// <summary>Waits until a fresh cluster's leader takes a write, so no workload starts on an election.</summary>
internal static class WritableProbe
{
    /// <summary>Writes a probe key to the leader every 50 ms until one succeeds, for at most 30 s.</summary>
    /// <exception cref="TimeoutException">No write succeeded; the message is <paramref name="failure"/>'s.</exception>
    public static async Task WaitAsync(IKvSystem system, HttpClient http, Func<string> failure, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var leader = system.Members[await system.LeaderAsync(token).ConfigureAwait(false)];
            var probe = system.Put(leader, "bench-probe", "\"ok\"");
            try
            {
                using var request = new HttpRequestMessage(probe.Method, probe.Uri)
                {
                    Content = new ByteArrayContent(probe.Body!) { Headers = { ContentType = new("application/json") } },
                };
                using var response = await http.SendAsync(request, token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not writable yet
            }

            await Task.Delay(50, token).ConfigureAwait(false);
        }

        throw new TimeoutException(failure());
    }
}
