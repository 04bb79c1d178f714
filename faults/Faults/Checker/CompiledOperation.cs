using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>An operation reduced to what the search needs: its effect on value ids and whether it is optional.</summary>
/// <param name="Step">The effect it must have when linearized.</param>
/// <param name="Value">Value id written (write, cas) or read (read).</param>
/// <param name="Expected">Value id a cas expects; <see cref="RegisterModel.Absent"/> for create-only.</param>
/// <param name="IsUnknown">Unknown outcome: it may be linearized anywhere after its invocation, or never.</param>
/// <param name="Bit">Its index in the definite or the unknown bit set, by <see cref="IsUnknown"/>.</param>
/// <param name="Predecessor">
/// For an unknown operation: the previous unknown operation (by invocation) with the same effect, or -1.
/// Only the first unused one of such a group is tried: any linearization can use them in that order.
/// </param>
/// <param name="Source">The recorded operation, for reports.</param>
internal readonly record struct CompiledOperation(
    StepKind Step,
    int Value,
    int Expected,
    bool IsUnknown,
    int Bit,
    int Predecessor,
    Operation Source)
{
    /// <summary>The pass that tries this operation in any case (the Enable pass may try it earlier).</summary>
    public ScanPass Pass => IsUnknown ? ScanPass.Unknown
        : Step is StepKind.Read or StepKind.CasRejected or StepKind.DeleteRejected ? ScanPass.Observe
        : ScanPass.Change;
}
