namespace GeoLedger.Api;

/// <summary>
/// Bytes in flight, node-wide and per client, with a refusal past either limit. One request always passes when nothing
/// of its kind is in flight, so a single request larger than a limit still gets through on a quiet node.
/// </summary>
/// <param name="nodeLimit">Bytes in flight for the whole node.</param>
/// <param name="clientLimit">Bytes in flight for one client.</param>
/// <param name="largeBytes">Requests above this size are large and share only half of <paramref name="nodeLimit"/>, so small ones always find room.</param>
internal sealed class ByteBudget(long nodeLimit, long clientLimit, long largeBytes = long.MaxValue)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, long> byClient = new(StringComparer.Ordinal);
    private long total;
    private long large;

    /// <summary>Why a request was refused.</summary>
    public enum Refusal
    {
        /// <summary>Not refused.</summary>
        None,

        /// <summary>The client holds its share already.</summary>
        Client,

        /// <summary>The node holds its limit (or, for a large request, the large requests' half) already.</summary>
        Node,
    }

    /// <summary>Bytes in flight node-wide.</summary>
    public long InFlight
    {
        get
        {
            lock (gate)
                return total;
        }
    }

    /// <summary>Takes <paramref name="bytes"/> for <paramref name="client"/>; dispose the lease when the request is done.</summary>
    public Refusal TryTake(string client, long bytes, out Lease lease)
    {
        lease = default;
        var isLarge = bytes > largeBytes;
        lock (gate)
        {
            var mine = byClient.GetValueOrDefault(client);
            if (mine > 0 && mine + bytes > clientLimit)
                return Refusal.Client;
            if ((total > 0 && total + bytes > nodeLimit) || (isLarge && large > 0 && large + bytes > nodeLimit / 2))
                return Refusal.Node;
            byClient[client] = mine + bytes;
            total += bytes;
            if (isLarge)
                large += bytes;
        }

        lease = new Lease(this, client, bytes, isLarge);
        return Refusal.None;
    }

    private void Return(string client, long bytes, bool isLarge)
    {
        lock (gate)
        {
            total -= bytes;
            if (isLarge)
                large -= bytes;
            var left = byClient[client] - bytes;
            if (left == 0)
                byClient.Remove(client); // the map holds only clients with something in flight
            else
                byClient[client] = left;
        }
    }

    /// <summary>Bytes taken from the budget until disposed.</summary>
    public readonly struct Lease(ByteBudget? budget, string client, long bytes, bool isLarge) : IDisposable
    {
        /// <summary>Gives the bytes back.</summary>
        public void Dispose() => budget?.Return(client, bytes, isLarge);
    }
}
