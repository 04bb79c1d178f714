using System.Globalization;
using System.Text.RegularExpressions;
using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// <c>GET /v1/kv/{key}?waitRevision=n&amp;timeout=30s</c> (Consul-style long poll): the read waits until the key has a
/// revision above <c>n</c>, or until a key that existed with a revision up to <c>n</c> is deleted, or the timeout passes;
/// then it answers the key as a plain read does.
/// </summary>
internal sealed partial class BlockingReads(LedgerStore store)
{
    private int waiting;

    /// <summary>The wait when <c>timeout</c> is not given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A requested wait.</summary>
    /// <param name="Revision">The revision the key must exceed.</param>
    /// <param name="Timeout">How long to wait at most.</param>
    public readonly record struct Wait(long Revision, TimeSpan Timeout);

    /// <summary>Reads waiting right now.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Reads <c>waitRevision</c> and <c>timeout</c>: null wait when neither is given.</summary>
    public static bool TryRead(HttpContext context, int maxWaitSeconds, out Wait? wait, out IResult? error)
    {
        wait = null;
        error = null;
        var query = context.Request.Query;
        if (query["waitRevision"].Count > 1 || query["timeout"].Count > 1)
        {
            error = Problems.BadRequest("Give waitRevision and timeout once each");
            return false;
        }

        var revisionText = query["waitRevision"].FirstOrDefault();
        var timeoutText = query["timeout"].FirstOrDefault();
        if (revisionText is null)
        {
            if (timeoutText is not null)
                error = Problems.BadRequest("timeout needs waitRevision: add ?waitRevision=<revision you have>", "A blocking read waits for the key's revision to pass waitRevision; timeout alone means nothing.");
            return error is null;
        }

        if (!long.TryParse(revisionText, NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
        {
            error = Problems.BadRequest("waitRevision must be a whole number, 0 or more", $"'{revisionText}' is not (use the revision or ETag of the key as you last read it, or 0).");
            return false;
        }

        var timeout = DefaultTimeout;
        if (timeoutText is not null && !TryParseDuration(timeoutText, out timeout))
        {
            error = Problems.BadRequest("timeout must be a duration such as 30s, 500ms or 2m", $"'{timeoutText}' is not (a whole number of ms, s or m; a bare number is seconds).");
            return false;
        }

        if (timeout > TimeSpan.FromSeconds(maxWaitSeconds))
        {
            error = Problems.BadRequest($"timeout too long: wait at most {maxWaitSeconds}s (Ledger:MaxWaitSeconds)", $"'{timeoutText}' is longer; poll again when it answers.");
            return false;
        }

        wait = new Wait(revision, timeout);
        return true;
    }

    /// <summary>
    /// Waits on this node's applied state until the key passes <see cref="Wait.Revision"/>, an entry that was at or below
    /// it is deleted, or the timeout passes (or the client goes away).
    /// </summary>
    public async Task WaitAsync(string key, Wait wait, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(wait.Timeout);
        Interlocked.Increment(ref waiting);
        try
        {
            await WaitForChangeAsync(key, wait.Revision, deadline.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }
    }

    private async Task WaitForChangeAsync(string key, long revision, CancellationToken token)
    {
        var existed = false;
        while (true)
        {
            var next = store.NextPublished; // before the look, so that a version published in between wakes the wait
            var entry = store.Get(key);
            if (entry is not null && entry.Revision > revision)
                return;
            if (entry is null && existed)
                return; // deleted while waited on
            existed |= entry is not null;
            try
            {
                await next.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A whole number of <c>ms</c>, <c>s</c> or <c>m</c>; a bare number is seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000_000)
            return false;
        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            _ => TimeSpan.FromSeconds(amount),
        };
        return true;
    }

    [GeneratedRegex("^([0-9]{1,9})(ms|s|m)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
