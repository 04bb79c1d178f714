using System.Text.Json;

namespace GeoLedger.Ledger.Transactions;

/// <summary>What a transaction's compare looks at.</summary>
public enum CompareTarget : byte
{
    /// <summary>The key's revision (0 when the key is absent).</summary>
    Revision = 1,

    /// <summary>The key's value (false for every result when the key is absent).</summary>
    Value = 2,

    /// <summary>Whether the key exists.</summary>
    Exists = 3,
}

/// <summary>How a compare relates the key's state to the given operand.</summary>
public enum CompareResult : byte
{
    /// <summary>Equal.</summary>
    Equal = 1,

    /// <summary>Not equal.</summary>
    NotEqual = 2,

    /// <summary>The key's side is greater.</summary>
    Greater = 3,

    /// <summary>The key's side is less.</summary>
    Less = 4,
}

/// <summary>One condition of a transaction, evaluated when its entry is applied.</summary>
/// <param name="Key">The key compared.</param>
/// <param name="Target">What is compared.</param>
/// <param name="Result">The relation that must hold.</param>
/// <param name="Number">The revision for <see cref="CompareTarget.Revision"/>; 1 (exists) or 0 (absent) for <see cref="CompareTarget.Exists"/>.</param>
/// <param name="Value">The minified JSON text for <see cref="CompareTarget.Value"/>; empty otherwise.</param>
public sealed record TxnCompare(string Key, CompareTarget Target, CompareResult Result, long Number, byte[] Value)
{
    /// <summary>True when the key, in state <paramref name="current"/> (null: absent), satisfies the compare.</summary>
    public bool HoldsFor(LedgerEntry? current) => Target switch
    {
        CompareTarget.Revision => Relate((current?.Revision ?? 0).CompareTo(Number)),
        CompareTarget.Exists => Result switch
        {
            CompareResult.Equal => (current is not null) == (Number != 0),
            CompareResult.NotEqual => (current is not null) != (Number != 0),
            _ => false,
        },
        CompareTarget.Value when current is null => false,
        CompareTarget.Value => Result switch
        {
            CompareResult.Equal => current.Value.AsSpan().SequenceEqual(Value),
            CompareResult.NotEqual => !current.Value.AsSpan().SequenceEqual(Value),
            _ => OrderValues(current.Value, Value) is { } order && Relate(order),
        },
        _ => false,
    };

    private bool Relate(int order) => Result switch
    {
        CompareResult.Equal => order == 0,
        CompareResult.NotEqual => order != 0,
        CompareResult.Greater => order > 0,
        CompareResult.Less => order < 0,
        _ => false,
    };

    /// <summary>Two numbers by value, two strings ordinally; null (no order: the compare is false) for anything else.</summary>
    private static int? OrderValues(byte[] stored, byte[] given)
    {
        try
        {
            return Order(stored, given);
        }
        catch (JsonException)
        {
            return null; // every value was checked as JSON when written; an applier must not stop on one anyway
        }
    }

    private static int? Order(byte[] stored, byte[] given)
    {
        using var left = JsonDocument.Parse(stored);
        using var right = JsonDocument.Parse(given);
        var a = left.RootElement;
        var b = right.RootElement;
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
        {
            return a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y)
                ? x.CompareTo(y)
                : a.GetDouble().CompareTo(b.GetDouble());
        }

        if (a.ValueKind == JsonValueKind.String && b.ValueKind == JsonValueKind.String)
            return Math.Sign(string.CompareOrdinal(a.GetString(), b.GetString()));
        return null;
    }
}
