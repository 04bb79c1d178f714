namespace GeoLedger.Faults.Checker;

/// <summary>One linearized operation on the search stack, with what is needed to undo it.</summary>
/// <param name="Entry">The call entry that was lifted.</param>
/// <param name="PreviousState">The state before the operation.</param>
/// <param name="UnknownPass">Whether it was chosen while trying unknown operations, so the scan resumes there.</param>
internal readonly record struct SearchFrame(int Entry, int PreviousState, bool UnknownPass);
