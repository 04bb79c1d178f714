using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

public sealed class CheckCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("faults-check-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void LinearizableFileExitsZero()
    {
        var path = Save("good.json", RegisterSimulation.Generate(seed: 1, count: 1_000, clients: 8, keys: 3));

        var (code, output) = Run("check", path);

        Assert.Equal(CheckCommand.ExitLinearizable, code);
        var line = Assert.Single(Lines(output));
        Assert.Matches(@"^verdict: linearizable, keys: 3, operations: 1000, time: \d+ ms$", line);
    }

    [Fact]
    public void ViolatingFileExitsOneAndNamesTheKey()
    {
        var operations = new HistoryBuilder()
            .On("fine").Write(1, "a", 0, 10).Read(2, "a", 20, 30)
            .On("orders/42").Write(1, "v0", 0, 10).Write(1, "v1", 20, 30).Read(2, "v0", 40, 50)
            .Operations;
        var path = Save("bad.json", operations);

        var (code, output) = Run("check", path, "--timeout-seconds", "30");

        Assert.Equal(CheckCommand.ExitViolation, code);
        var lines = Lines(output);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("key \"orders/42\": not-linearizable", lines[0]);
        Assert.Contains("cannot place #5 client 2 read -> \"v0\"", lines[0]);
        Assert.Matches(@"^verdict: not-linearizable, keys: 2, operations: 5, time: \d+ ms$", lines[1]);
    }

    [Fact]
    public void ExhaustedBudgetExitsTwo()
    {
        var path = Save("slow.json", RegisterSimulation.Generate(seed: 2, count: 1_000, clients: 8, keys: 2));

        var (code, output) = Run("check", "--timeout-seconds", "0", path);

        Assert.Equal(CheckCommand.ExitUnknown, code);
        var lines = Lines(output);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[..2], l => Assert.Contains(": unknown (", l));
        Assert.StartsWith("verdict: unknown, keys: 2, operations: 1000, ", lines[2]);
    }

    [Theory]
    [InlineData]
    [InlineData("verify", "x.json")]
    [InlineData("check")]
    [InlineData("check", "a.json", "b.json")]
    [InlineData("check", "a.json", "--timeout-seconds")]
    [InlineData("check", "a.json", "--timeout-seconds", "soon")]
    [InlineData("check", "a.json", "--timeout-seconds", "-1")]
    [InlineData("check", "a.json", "--verbose")]
    [InlineData("--help")]
    public void BadArgumentsPrintUsageAndExit64(params string[] args)
    {
        var (code, output) = Run(args);

        Assert.Equal(CheckCommand.ExitUsage, code);
        Assert.Contains("usage: check <history.json> [--timeout-seconds N]", output);
    }

    [Fact]
    public void MissingFileExits64()
    {
        var (code, output) = Run("check", Path.Combine(directory, "absent.json"));

        Assert.Equal(CheckCommand.ExitUsage, code);
        Assert.Contains("cannot check", output);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("""{ "seed": 1, "operations": [ { "id": 1, "client": 0, "key": "a", "kind": "write", "invokeNs": 1, "completeNs": 2, "outcome": "ok" } ] }""")]
    public void UnreadableOrMalformedHistoryExits64(string content)
    {
        var path = Path.Combine(directory, "broken.json");
        File.WriteAllText(path, content);

        var (code, output) = Run("check", path);

        Assert.Equal(CheckCommand.ExitUsage, code);
        Assert.Contains("cannot check", output);
    }

    [Fact]
    public void ErrorsGoToTheErrorWriter()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = CheckCommand.Run(["check"], output, error);

        Assert.Equal(CheckCommand.ExitUsage, code);
        Assert.Empty(output.ToString());
        Assert.Contains("no history file given", error.ToString());
    }

    private string Save(string name, IReadOnlyList<Operation> operations)
    {
        var path = Path.Combine(directory, name);
        HistoryJson.Save(path, new OperationHistory { Seed = 1, Operations = operations });
        return path;
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        var code = CheckCommand.Run(args, output);
        return (code, output.ToString());
    }

    private static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
