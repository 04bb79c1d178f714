namespace GeoLedger.Faults.Checker;

/// <summary>
/// A compact copy of a <see cref="BitSet"/>: words before <see cref="Start"/> are all ones, words after the
/// stored ones are all zeros. Linearized operations are nearly a prefix, so a copy costs about a window, not a history.
/// </summary>
/// <param name="Start">Index of the first stored word.</param>
/// <param name="Words">The words from <see cref="Start"/> up to the last non-zero word.</param>
internal sealed record BitSnapshot(int Start, ulong[] Words);
