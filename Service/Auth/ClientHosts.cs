using System.Collections.Concurrent;
using System.Net;
using GeoLedger.Cluster;

namespace GeoLedger.Auth;

/// <summary>
/// Which <c>Host</c> headers the client port answers. Without tokens a node is meant for local use, and a web page
/// whose name an attacker re-points at 127.0.0.1 (DNS rebinding) could otherwise read and write it from a
/// developer's browser; so it answers only requests addressed to loopback (<c>localhost</c>, 127.0.0.0/8, ::1),
/// to a member's public host, or to a host named in <c>Ledger:AllowedHosts</c>. With tokens any host is answered,
/// unless <c>Ledger:AllowedHosts</c> names some; <c>*</c> there allows every host.
/// </summary>
public sealed class ClientHosts
{
    /// <summary>The setting naming extra hosts (a list).</summary>
    public const string Setting = "Ledger:AllowedHosts";

    /// <summary>Distinct Host values whose verdict is kept: a node sees a handful; hostile input cannot grow it past this.</summary>
    private const int MaxRemembered = 64;

    private readonly HashSet<string> named = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> verdicts = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool enforced;

    /// <summary>Reads <see cref="Setting"/> and the members' public hosts.</summary>
    public ClientHosts(IConfiguration configuration, ApiTokens tokens, NodeTopology topology)
    {
        var configured = configuration.GetSection(Setting).Get<string[]>() ?? [];
        foreach (var host in configured.Where(h => !string.IsNullOrWhiteSpace(h)))
            named.Add(host.Trim());
        enforced = !named.Contains("*") && (tokens.IsOff || named.Count > 0);
        foreach (var member in topology.Config.Members)
            named.Add(member.Public.IdnHost.Trim('[', ']'));
    }

    /// <summary>True when a request whose <c>Host</c> is <paramref name="host"/> may be answered.</summary>
    public bool Allows(HostString host)
    {
        if (!enforced)
            return true;
        var raw = host.Value ?? "";
        if (verdicts.TryGetValue(raw, out var known))
            return known;
        var allowed = Decide(host);
        if (verdicts.Count < MaxRemembered)
            verdicts.TryAdd(raw, allowed);
        return allowed;
    }

    private bool Decide(HostString host)
    {
        var name = host.Host.Trim('[', ']');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip))
            || named.Contains(name);
    }
}
