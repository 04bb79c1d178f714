namespace GeoLedger.Api;

/// <summary>The <c>?consistency=</c> of a read.</summary>
internal enum Consistency
{
    /// <summary>A read barrier through the leader: never stale.</summary>
    Linearizable,

    /// <summary>This node's applied state: fastest, may lag.</summary>
    Local,
}
