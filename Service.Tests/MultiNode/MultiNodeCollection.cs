namespace GeoLedger.Tests.MultiNode;

/// <summary>Tests with real node processes run one at a time: two cores do not host several clusters well.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node";
}
