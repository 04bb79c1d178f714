using GeoLedger.Cluster;
using OpenTelemetry.Resources;

namespace GeoLedger.Telemetry;

/// <summary>Names the node in every exported metric and span: <c>service.name</c> geoledger, <c>service.instance.id</c> the member id.</summary>
internal sealed class NodeResourceDetector(NodeTopology topology) : IResourceDetector
{
    public Resource Detect() => new(new Dictionary<string, object>
    {
        ["service.name"] = "geoledger",
        ["service.instance.id"] = topology.Self.Id,
        ["geoledger.region"] = topology.Self.Region,
    });
}
