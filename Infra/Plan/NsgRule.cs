namespace GeoLedger.Infra.Plan;

/// <summary>One inbound allow rule of a region's network security group (everything else stays denied).</summary>
/// <param name="Name">Rule name.</param>
/// <param name="Priority">Azure priority (lower wins).</param>
/// <param name="Sources">Source CIDRs (or the single service tag <c>Internet</c>).</param>
/// <param name="Port">Destination port.</param>
/// <param name="Protocol">TCP, or UDP for the read-index and acknowledgement datagrams on the Raft port's number.</param>
public sealed record NsgRule(string Name, int Priority, IReadOnlyList<string> Sources, int Port, NsgProtocol Protocol = NsgProtocol.Tcp)
{
    /// <summary>True when the rule lets in the whole internet.</summary>
    public bool IsOpenToInternet => Sources.Any(s => s is "*" or "Internet" or "0.0.0.0/0");
}

/// <summary>The protocol an <see cref="NsgRule"/> lets in.</summary>
public enum NsgProtocol
{
    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}
