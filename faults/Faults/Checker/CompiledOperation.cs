using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>An operation reduced to what the search needs: its effect on value ids and whether it is optional.</summary>
/// <param name="Step">The effect it must have when linearized.</param>
/// <param name="Value">Value id written (write, cas) or read (read).</param>
/// <param name="Expected">Value id a cas expects; <see cref="RegisterModel.Absent"/> for create-only.</param>
/// <param name="IsUnknown">Unknown outcome: it may be linearized anywhere after its invocation, or never.</param>
/// <param name="Bit">Its index in the definite or the unknown bit set, by <see cref="IsUnknown"/>.</param>
/// <param name="Source">The recorded operation, for reports.</param>
internal readonly record struct CompiledOperation(
    StepKind Step,
    int Value,
    int Expected,
    bool IsUnknown,
    int Bit,
    Operation Source);
