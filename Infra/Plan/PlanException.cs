namespace GeoLedger.Infra.Plan;

/// <summary>The stack config is invalid; <see cref="Setting"/> names the config key to fix.</summary>
public sealed class PlanException(string setting, string message)
    : Exception($"{setting}: {message}")
{
    /// <summary>The config key (in the <c>geoledger</c> namespace) the message is about.</summary>
    public string Setting { get; } = setting;
}
