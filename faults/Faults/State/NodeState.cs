namespace GeoLedger.Faults.State;

/// <summary>A node's applied state under the workload's prefix, read locally at one applied index.</summary>
/// <param name="Node">The node's id.</param>
/// <param name="AppliedIndex">The index the node had applied, the same before and after its keys were read.</param>
/// <param name="Entries">Every key under the prefix, in key order.</param>
public sealed record NodeState(string Node, long AppliedIndex, IReadOnlyList<StateEntry> Entries);
