using System.Text.Json;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

public sealed class HistoryJsonTests
{
    [Fact]
    public void RoundTripPreservesEveryOperation()
    {
        var history = new OperationHistory
        {
            Seed = 42,
            Operations =
            [
                .. RegisterSimulation.Generate(seed: 3, count: 300, clients: 6, keys: 2, unknownRate: 0.1, unavailableRate: 0.1),
                new Operation
                {
                    Id = 10_000, Client = 2, Key = "with \"quotes\"/and\nnewline ✓", Kind = OperationKind.Cas,
                    Value = "{\"json\": [1, 2]}", Expected = "", InvokeNs = long.MaxValue - 1, CompleteNs = long.MaxValue,
                    Outcome = OperationOutcome.Fail,
                },
            ],
        };

        var json = HistoryJson.Serialize(history);
        var back = HistoryJson.Deserialize(json);

        Assert.Equal(history, back);
        Assert.Equal(history.Operations, back.Operations);
        Assert.Equal(json, HistoryJson.Serialize(back));
    }

    [Fact]
    public void StreamRoundTripMatchesStringRoundTrip()
    {
        var history = new OperationHistory { Seed = -1, Operations = RegisterSimulation.Generate(5, 50, 3, 1) };
        using var stream = new MemoryStream();

        HistoryJson.Write(stream, history);
        stream.Position = 0;

        Assert.Equal(history, HistoryJson.Read(stream));
    }

    [Fact]
    public void ReadsTheDocumentedFormat()
    {
        const string json = """
            {
              "seed": 7,
              "operations": [
                { "id": 1, "client": 0, "key": "a", "kind": "write", "value": "x", "invokeNs": 10, "completeNs": 20, "outcome": "ok" },
                { "id": 2, "client": 1, "key": "a", "kind": "cas", "value": "y", "expectedAbsent": true, "invokeNs": 15, "completeNs": null, "outcome": "unknown" },
                { "id": 3, "client": 2, "key": "a", "kind": "read", "invokeNs": 30, "completeNs": 40, "outcome": "ok", "result": null, "node": "ignored" },
                { "id": 4, "client": 2, "key": "a", "kind": "delete", "invokeNs": 50, "completeNs": 60, "outcome": "fail" }
              ]
            }
            """;

        var history = HistoryJson.Deserialize(json);

        Assert.Equal(7, history.Seed);
        Assert.Equal(4, history.Operations.Count);
        Assert.Equal(
            new Operation
            {
                Id = 2, Client = 1, Key = "a", Kind = OperationKind.Cas, Value = "y", ExpectedAbsent = true,
                InvokeNs = 15, CompleteNs = null, Outcome = OperationOutcome.Unknown,
            },
            history.Operations[1]);
        Assert.Equal(OperationKind.Delete, history.Operations[3].Kind);
        Assert.Equal(OperationOutcome.Fail, history.Operations[3].Outcome);
        Assert.Null(history.Operations[2].Result);
    }

    [Fact]
    public void WritesCamelCaseNamesAndEnumStrings()
    {
        var history = new HistoryBuilder().Cas(3, null, "v", 1, 2, OperationOutcome.Fail).Operations;

        var json = HistoryJson.Serialize(new OperationHistory { Seed = 1, Operations = history });

        Assert.Contains("\"kind\":\"cas\"", json);
        Assert.Contains("\"outcome\":\"fail\"", json);
        Assert.Contains("\"expectedAbsent\":true", json);
        Assert.Contains("\"invokeNs\":1", json);
        Assert.Contains("\"completeNs\":2", json);
    }

    [Theory]
    [InlineData("""{ "seed": 1, "operations": [ { "id": 1, "client": 0, "key": "a", "kind": "upsert", "invokeNs": 1, "outcome": "ok" } ] }""")]
    [InlineData("""{ "seed": 1, "operations": [ { "id": 1, "client": 0, "kind": "read", "invokeNs": 1, "outcome": "ok" } ] }""")]
    [InlineData("""{ "seed": 1, "operations": [ { "id": 1, "client": 0, "key": null, "kind": "read", "invokeNs": 1, "outcome": "ok" } ] }""")]
    [InlineData("""{ "seed": 1, "operations": [ { "id": 1, "client": 0, "key": "a", "kind": 0, "invokeNs": 1, "outcome": "ok" } ] }""")]
    [InlineData("""{ "seed": 1 }""")]
    [InlineData("""null""")]
    [InlineData("""[]""")]
    public void RejectsWhatIsNotAHistory(string json)
    {
        Assert.ThrowsAny<JsonException>(() => HistoryJson.Deserialize(json));
    }
}
