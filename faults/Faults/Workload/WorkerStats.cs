using System.Collections.Concurrent;
using System.Net;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Workload;

/// <summary>What one client saw: outcomes, any 5xx other than 503/504 and any write answer naming another entry (either fails the run).</summary>
public sealed class WorkerStats
{
    private long ok, fail, unknown, resendsStopped, answersChecked;

    /// <summary>Unexpected server errors by status code.</summary>
    public ConcurrentDictionary<int, int> ServerErrors { get; } = new();

    public long Ok => Interlocked.Read(ref ok);
    public long Fail => Interlocked.Read(ref fail);
    public long Unknown => Interlocked.Read(ref unknown);

    public void Count(OperationOutcome outcome)
    {
        switch (outcome)
        {
            case OperationOutcome.Ok: Interlocked.Increment(ref ok); break;
            case OperationOutcome.Fail: Interlocked.Increment(ref fail); break;
            default: Interlocked.Increment(ref unknown); break;
        }
    }

    /// <summary>Requests the HTTP handler tried to send a second time, stopped by <see cref="SingleSendHttp"/>.</summary>
    public long ResendsStopped => Interlocked.Read(ref resendsStopped);

    public void ResendStopped() => Interlocked.Increment(ref resendsStopped);

    /// <summary>Write answers (200) compared with what was written.</summary>
    public long AnswersChecked => Interlocked.Read(ref answersChecked);

    /// <summary>Write answers that named another entry than the one written (see <see cref="WriteAnswerCheck"/>); any fails the run.</summary>
    public ConcurrentQueue<string> AnswerAnomalies { get; } = new();

    /// <summary>Counts a checked write answer, and its anomaly when it has one.</summary>
    public void AnswerChecked(string? anomaly)
    {
        Interlocked.Increment(ref answersChecked);
        if (anomaly is not null)
            AnswerAnomalies.Enqueue(anomaly);
    }

    public void UnexpectedServerError(HttpStatusCode status) => ServerErrors.AddOrUpdate((int)status, 1, (_, n) => n + 1);
}
