namespace GeoLedger.Faults.Checker;

/// <summary>A call or return event of one operation in the time-ordered event list.</summary>
/// <param name="Op">Index of the operation in <see cref="CompiledKey.Operations"/>.</param>
/// <param name="IsCall">True for the invocation, false for the response.</param>
/// <param name="Return">For the call of a definite operation: the index of its return entry; otherwise -1.</param>
internal readonly record struct EventEntry(int Op, bool IsCall, int Return);
