using System.Net;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Api;

/// <summary>
/// Kestrel's socket transport with a <see cref="ConnectionCap"/> in front of each capped port's accept loop: a
/// connection is accepted only when its listener has room, so the process never holds more sockets than the caps.
/// </summary>
internal sealed class CappedListenerFactory(IConnectionListenerFactory sockets, ConnectionCaps caps) : IConnectionListenerFactory
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await sockets.BindAsync(endpoint, cancellationToken);
        return caps.For(endpoint) is { } cap ? new CappedListener(listener, cap) : listener;
    }

    private sealed class CappedListener(IConnectionListener inner, ConnectionCap cap) : IConnectionListener
    {
        private readonly CancellationTokenSource unbound = new();

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, unbound.Token);
            if (!await cap.WaitForRoomAsync(stop.Token))
                return null; // unbound while waiting: Kestrel's accept loop ends on null
            try
            {
                var connection = await inner.AcceptAsync(cancellationToken);
                if (connection is null)
                    cap.Release();
                return connection;
            }
            catch
            {
                cap.Release();
                throw;
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            await unbound.CancelAsync();
            await inner.UnbindAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            unbound.Dispose();
        }
    }
}
