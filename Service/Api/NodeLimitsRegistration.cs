using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace GeoLedger.Api;

/// <summary>The connection caps of a node's two listeners.</summary>
/// <param name="Client">The client port's.</param>
/// <param name="Raft">The Raft port's.</param>
public sealed record ConnectionCaps(ConnectionCap Client, ConnectionCap Raft)
{
    /// <summary>The cap guarding <paramref name="endpoint"/>'s port, if any.</summary>
    public ConnectionCap? For(EndPoint endpoint) =>
        endpoint is IPEndPoint ip ? new[] { Client, Raft }.FirstOrDefault(c => c.Ports.Contains(ip.Port)) : null;
}

/// <summary>Registers and wires <see cref="NodeLimits"/>: connection caps per listener, admission control, list budgets.</summary>
public static class NodeLimitsRegistration
{
    /// <summary>Reads the limits (fitted to the open-file limit) and registers them; each Kestrel listener is guarded by one of the returned caps (<see cref="ConnectionCap.Guard"/>).</summary>
    /// <exception cref="InvalidOperationException">A limit is invalid; the message names it.</exception>
    public static ConnectionCaps AddNodeLimits(this WebApplicationBuilder builder)
    {
        var limits = NodeLimits.From(builder.Configuration, NodeLimits.ReadFileLimit());
        var caps = new ConnectionCaps(new ConnectionCap("client", limits.MaxClientConnections), new ConnectionCap("Raft", limits.MaxRaftConnections));
        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton(caps);
        builder.Services.AddSingleton<AdmissionControl>();
        // Registered last, so Kestrel binds through it: sockets are accepted only when their port's cap has room.
        builder.Services.AddSingleton<IConnectionListenerFactory>(sp => new CappedListenerFactory(
            new SocketTransportFactory(sp.GetRequiredService<IOptions<SocketTransportOptions>>(), sp.GetRequiredService<ILoggerFactory>()), caps));
        return caps;
    }

    /// <summary>
    /// First in the pipeline, on both ports: marks a connection busy while a request runs on it, so that only idle
    /// connections are closed to make room. Logs the caps when they were lowered, and when one is reached.
    /// </summary>
    public static IApplicationBuilder UseConnectionCaps(this IApplicationBuilder app)
    {
        var caps = app.ApplicationServices.GetRequiredService<ConnectionCaps>();
        var limits = app.ApplicationServices.GetRequiredService<NodeLimits>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("GeoLedger.Limits");
        if (limits.LoweredToFileLimit)
            LogMessages.ConnectionCapsLowered(logger, limits.FileLimit ?? 0, limits.MaxClientConnections, limits.MaxRaftConnections);
        foreach (var cap in new[] { caps.Client, caps.Raft })
            cap.Reached += c => LogMessages.ConnectionCapReached(logger, c.Name, c.Limit, c.Evicted);
        return app.Use(async (context, next) =>
        {
            var id = context.Connection.Id; // null in a TestServer, which has no connections
            using var busy = id is null ? null : caps.Client.Begin(id) ?? caps.Raft.Begin(id);
            await next(context);
        });
    }

    /// <summary>Admission control on request bodies; after authentication, so that only a known client's bytes count.</summary>
    public static IApplicationBuilder UseAdmissionControl(this IApplicationBuilder app)
    {
        var admission = app.ApplicationServices.GetRequiredService<AdmissionControl>();
        return app.Use(next => context => admission.InvokeAsync(context, next));
    }
}
