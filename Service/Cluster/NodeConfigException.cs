namespace GeoLedger.Cluster;

/// <summary>The node config is invalid; the message says what to fix.</summary>
public sealed class NodeConfigException(string message) : Exception(message);
