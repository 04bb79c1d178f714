using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>One request as the load generator saw it (Stopwatch timestamps).</summary>
internal readonly record struct Sample(long Start, long End, int Status)
{
    public bool Ok => LoadClient.IsSuccess(Status);
}

/// <summary>A worker's position: which worker, how many requests it sent, which member it talks to.</summary>
internal sealed class WorkerState(int worker, int member)
{
    public int Worker { get; } = worker;

    public long Seq { get; set; }

    public int Member { get; set; } = member;
}

/// <summary>What to send and how to react to failures.</summary>
/// <param name="Clients">Concurrent workers, each one connection per server, one request at a time.</param>
/// <param name="Duration">Workers stop sending new requests after this long.</param>
/// <param name="Next">The next request of a worker, or null when it has nothing more to send.</param>
/// <param name="Members">Number of members a worker can rotate over (failover).</param>
internal sealed record LoadSpec(int Clients, TimeSpan Duration, Func<WorkerState, KvRequest?> Next, int Members = 1)
{
    /// <summary>Follow 307 to the leader as part of the request.</summary>
    public bool FollowRedirects { get; init; }

    /// <summary>After a failure, wait this long and move the worker to the next member.</summary>
    public TimeSpan? FailureBackoff { get; init; }

    /// <summary>Per-request client timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A hard bound on any worker's request count, whatever the duration.</summary>
    public long MaxRequestsPerWorker { get; init; } = 5_000_000;
}

/// <summary>Runs a <see cref="LoadSpec"/> and keeps every request's timing.</summary>
internal static class LoadRun
{
    /// <summary>Runs the load; returns the start timestamp and every worker's samples.</summary>
    public static async Task<(long Started, List<Sample>[] Samples)> RunAsync(LoadSpec spec, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(spec.Duration.TotalSeconds * Stopwatch.Frequency);
        var samples = new List<Sample>[spec.Clients];
        var workers = new Task[spec.Clients];
        for (var w = 0; w < spec.Clients; w++)
        {
            var list = samples[w] = new List<Sample>(1024);
            var state = new WorkerState(w, w % Math.Max(1, spec.Members));
            workers[w] = Task.Run(() => WorkAsync(spec, state, deadline, list, token), token);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return (started, samples);
    }

    private static async Task WorkAsync(LoadSpec spec, WorkerState state, long deadline, List<Sample> samples, CancellationToken token)
    {
        using var client = new LoadClient(spec.RequestTimeout);
        while (Stopwatch.GetTimestamp() < deadline && state.Seq < spec.MaxRequestsPerWorker && !token.IsCancellationRequested)
        {
            if (spec.Next(state) is not { } request)
                return;
            state.Seq++;
            var start = Stopwatch.GetTimestamp();
            var status = await client.SendAsync(request, spec.FollowRedirects, token).ConfigureAwait(false);
            samples.Add(new Sample(start, Stopwatch.GetTimestamp(), status));
            if (!LoadClient.IsSuccess(status) && spec.FailureBackoff is { } backoff)
            {
                state.Member = (state.Member + 1) % Math.Max(1, spec.Members);
                await Task.Delay(backoff, token).ConfigureAwait(false);
            }
        }
    }
}
