using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Api;

/// <summary>
/// Caps the connections one listener holds. The cap is taken before a connection is accepted
/// (<see cref="CappedListenerFactory"/>), so a flood waits in the kernel's backlog instead of costing the process a
/// descriptor. At the cap the connection idle the longest (no request in progress: connected and silent, or kept alive
/// between requests) is closed to make room; while every connection is busy, new ones wait. Idle connections can then
/// neither exhaust the process's descriptors nor lock new clients out.
/// </summary>
/// <param name="name">The listener, for logs.</param>
/// <param name="limit">Connections held at most.</param>
public sealed class ConnectionCap(string name, int limit)
{
    private readonly ConcurrentDictionary<string, Slot> open = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim room = new(limit, limit);
    private readonly ConcurrentDictionary<int, bool> ports = new();
    private long evicted;
    private long lastReachedNotice = long.MinValue;

    /// <summary>The listener's name.</summary>
    public string Name => name;

    /// <summary>The cap.</summary>
    public int Limit => limit;

    /// <summary>Connections held now (accepted and not yet closed).</summary>
    public int Count => limit - room.CurrentCount;

    /// <summary>Idle connections closed to make room since the start.</summary>
    public long Evicted => Interlocked.Read(ref evicted);

    /// <summary>The ports whose listeners this cap guards (as configured: 0 for a port the system picks).</summary>
    public ICollection<int> Ports => ports.Keys;

    /// <summary>Raised (at most once a minute) when the cap is reached.</summary>
    public event Action<ConnectionCap>? Reached;

    /// <summary>
    /// Waits until a connection may be accepted, closing the longest-idle connection when the cap is reached (again
    /// every 100 ms while all are busy); false when <paramref name="token"/> ends the wait.
    /// </summary>
    public async Task<bool> WaitForRoomAsync(CancellationToken token)
    {
        if (room.Wait(0))
            return true;
        NotifyReached();
        try
        {
            do
            {
                EvictIdlest();
            }
            while (!await room.WaitAsync(TimeSpan.FromMilliseconds(100), token));
            return true;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Guards the listener of <paramref name="listen"/>: its accepts wait for room, its connections are tracked.</summary>
    public void Guard(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
    {
        ports[listen.IPEndPoint?.Port ?? throw new ArgumentException("only IP listeners are capped", nameof(listen))] = true;
        listen.Use(Wrap);
    }

    /// <summary>Gives back the room taken by <see cref="WaitForRoomAsync"/> for a connection that was not accepted after all.</summary>
    public void Release() => room.Release();

    /// <summary>Kestrel connection middleware for this listener: tracks the connection and gives its room back when it closes.</summary>
    private ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        open[connection.ConnectionId] = new Slot(connection);
        try
        {
            await next(connection);
        }
        finally
        {
            open.TryRemove(connection.ConnectionId, out _);
            room.Release();
        }
    };

    /// <summary>Marks the connection of <paramref name="connectionId"/> busy until the returned scope is disposed; null when not held here.</summary>
    public RequestScope? Begin(string connectionId) => open.TryGetValue(connectionId, out var slot) ? new RequestScope(slot) : null;

    private void EvictIdlest()
    {
        Slot? idlest = null;
        foreach (var slot in open.Values)
        {
            if (slot.IsIdle && (idlest is null || slot.IdleSince < idlest.IdleSince))
                idlest = slot;
        }

        if (idlest is null || !idlest.TryEvict())
            return;
        Interlocked.Increment(ref evicted);
        idlest.Connection.Abort(new ConnectionAbortedException($"closed while idle to make room on the {name} port (cap {limit})"));
    }

    private void NotifyReached()
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref lastReachedNotice);
        if (last != long.MinValue && Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1))
            return;
        if (Interlocked.CompareExchange(ref lastReachedNotice, now, last) == last)
            Reached?.Invoke(this);
    }

    /// <summary>A request in progress on a held connection.</summary>
    public readonly struct RequestScope : IDisposable
    {
        private readonly Slot slot;

        internal RequestScope(Slot slot)
        {
            this.slot = slot;
            Interlocked.Increment(ref slot.Requests);
        }

        /// <summary>The connection is idle again from now (unless another request runs on it).</summary>
        public void Dispose()
        {
            Volatile.Write(ref slot.IdleSinceTicks, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref slot.Requests);
        }
    }

    /// <summary>One held connection: requests in progress on it, and since when it has had none.</summary>
    internal sealed class Slot(ConnectionContext connection)
    {
        public int Requests;
        public long IdleSinceTicks = Stopwatch.GetTimestamp();
        private int evicted;

        public ConnectionContext Connection => connection;

        public long IdleSince => Volatile.Read(ref IdleSinceTicks);

        public bool IsIdle => Volatile.Read(ref Requests) == 0 && Volatile.Read(ref evicted) == 0;

        public bool TryEvict() => Volatile.Read(ref Requests) == 0 && Interlocked.Exchange(ref evicted, 1) == 0;
    }
}
