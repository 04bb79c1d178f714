namespace GeoLedger.Infra.Plan;

/// <summary>One direction of a global VNet peering: from <paramref name="From"/>'s VNet to <paramref name="To"/>'s.</summary>
/// <param name="Name">Peering name (on the <paramref name="From"/> side).</param>
/// <param name="From">Region whose VNet holds the peering.</param>
/// <param name="To">Region whose VNet is the remote end.</param>
public sealed record PeeringPlan(string Name, string From, string To);
