using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>
/// Where the search for a linearization of one key got furthest before it failed: the longest
/// partial linearization found and the operation that could not be placed after it.
/// </summary>
/// <param name="LinearizedCount">Definite operations placed in the longest partial linearization.</param>
/// <param name="DefiniteCount">Definite operations of the key (unknown ones are optional and not counted).</param>
/// <param name="State">
/// The key's value after that partial linearization; null when absent; <c>&lt;the value of some unknown
/// operation&gt;</c> when the search only needed the key present with a value nobody reads.
/// </param>
/// <param name="Blocked">The operation that had to be placed next (its answer had arrived) but fits no order.</param>
/// <param name="LastLinearized">The last few operations of the partial linearization, oldest first.</param>
public sealed record Violation(
    int LinearizedCount,
    int DefiniteCount,
    string? State,
    Operation Blocked,
    IReadOnlyList<Operation> LastLinearized)
{
    /// <summary>One line for a human: what the key held, what came last, and what could not follow.</summary>
    public string Describe()
    {
        var last = LastLinearized.Count == 0
            ? "nothing placed"
            : "last placed: " + string.Join("; ", LastLinearized.Select(OperationText.Describe));
        return $"placed {LinearizedCount} of {DefiniteCount} operations, key then {OperationText.State(State)} ({last}); "
            + $"cannot place {OperationText.Describe(Blocked)}";
    }
}
