namespace GeoLedger.Tests.MultiNode;

/// <summary>Waiting on a cluster's state in multi-node tests: a condition polled until it holds or a timeout passes.</summary>
public static class Conditions
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        PollAsync(async () => await condition(), TimeSpan.FromMilliseconds(50), timeout, what);

    /// <summary>The same for a condition read from the test's own state (a counter, a flag), polled every 20 ms.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        PollAsync(() => ValueTask.FromResult(condition()), TimeSpan.FromMilliseconds(20), timeout, what);

    private static async Task PollAsync(Func<ValueTask<bool>> condition, TimeSpan every, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(every);
        }
    }
}
