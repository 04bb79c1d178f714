using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

/// <summary>Builds small histories by hand: times are plain numbers, ids are assigned in order.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> operations = [];
    private string key = "k";

    public IReadOnlyList<Operation> Operations => operations;

    /// <summary>Later operations go to <paramref name="name"/>.</summary>
    public HistoryBuilder On(string name)
    {
        key = name;
        return this;
    }

    public HistoryBuilder Read(int client, string? result, long invoke, long complete) =>
        Add(OperationKind.Read, client, invoke, complete, OperationOutcome.Ok, result: result);

    public HistoryBuilder Write(int client, string value, long invoke, long? complete, OperationOutcome outcome = OperationOutcome.Ok) =>
        Add(OperationKind.Write, client, invoke, complete, outcome, value: value);

    /// <summary>A cas expecting <paramref name="expected"/>; null expected means create-only.</summary>
    public HistoryBuilder Cas(int client, string? expected, string value, long invoke, long? complete, OperationOutcome outcome = OperationOutcome.Ok) =>
        Add(OperationKind.Cas, client, invoke, complete, outcome, value: value, expected: expected, expectedAbsent: expected is null);

    public HistoryBuilder Delete(int client, long invoke, long? complete, OperationOutcome outcome = OperationOutcome.Ok) =>
        Add(OperationKind.Delete, client, invoke, complete, outcome);

    public HistoryBuilder Add(Operation operation)
    {
        operations.Add(operation);
        return this;
    }

    public CheckResult Check(TimeSpan? timeout = null) =>
        LinearizabilityChecker.Check(operations, timeout ?? Timeout.InfiniteTimeSpan);

    public Verdict Verdict() => Check().Verdict;

    private HistoryBuilder Add(
        OperationKind kind,
        int client,
        long invoke,
        long? complete,
        OperationOutcome outcome,
        string? value = null,
        string? expected = null,
        bool expectedAbsent = false,
        string? result = null)
    {
        operations.Add(new Operation
        {
            Id = operations.Count + 1,
            Client = client,
            Key = key,
            Kind = kind,
            Value = value,
            Expected = expected,
            ExpectedAbsent = expectedAbsent,
            InvokeNs = invoke,
            CompleteNs = complete,
            Outcome = outcome,
            Result = result,
        });
        return this;
    }
}
