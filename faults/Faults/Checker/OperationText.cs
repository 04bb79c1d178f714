using System.Text.Json;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>Short one-line descriptions of operations for violation reports.</summary>
internal static class OperationText
{
    /// <summary>For example <c>#12 client 3 read -> "v7" ok [100, 250]</c>.</summary>
    public static string Describe(Operation op)
    {
        var what = op.Kind switch
        {
            OperationKind.Read => op.Outcome == OperationOutcome.Ok ? $"read -> {State(op.Result)}" : "read",
            OperationKind.Write => $"write {Quote(op.Value)}",
            OperationKind.Cas => $"cas {(op.ExpectedAbsent ? "absent" : Quote(op.Expected))} -> {Quote(op.Value)}",
            _ => "delete",
        };
        var complete = op.CompleteNs is { } c ? $"{c}]" : "inf)";
        return $"#{op.Id} client {op.Client} {what} {op.Outcome.ToString().ToLowerInvariant()} [{op.InvokeNs}, {complete}";
    }

    /// <summary>A value in quotes, or the word absent.</summary>
    public static string State(string? value) => value is null ? "absent" : Quote(value);

    /// <summary>JSON string syntax keeps values with quotes or newlines on one line.</summary>
    public static string Quote(string? value) => JsonSerializer.Serialize(value);
}
