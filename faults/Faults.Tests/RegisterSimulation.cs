using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// Generates histories that are linearizable by construction: concurrent clients whose operations take effect on
/// a sequential register per key at a random instant inside their window, the way a correct service would.
/// </summary>
internal static class RegisterSimulation
{
    private const int MaxLatency = 1_000;
    private const int MaxThink = 100;

    /// <summary>Simulates <paramref name="count"/> operations by <paramref name="clients"/> clients over <paramref name="keys"/> keys.</summary>
    public static List<Operation> Generate(int seed, int count, int clients, int keys, double unknownRate = 0.02, double unavailableRate = 0.01)
    {
        var random = new Random(seed);
        var planned = PlanTimes(random, count, clients, keys);

        // Decide every operation in the order it takes effect, against the register it takes effect on.
        var state = new Dictionary<string, string?>(StringComparer.Ordinal);
        var written = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var operations = new List<Operation>(count);
        foreach (var plan in planned.OrderBy(p => p.EffectNs).ThenBy(p => p.Id))
        {
            var current = state.GetValueOrDefault(plan.Key);
            var history = written.TryGetValue(plan.Key, out var list) ? list : written[plan.Key] = [];
            var op = Decide(random, plan, current, history, unknownRate, unavailableRate, out var next);
            state[plan.Key] = next;
            if (op.Value is not null && next == op.Value)
            {
                history.Add(op.Value);
            }

            operations.Add(op);
        }

        return [.. operations.OrderBy(o => o.Id)];
    }

    private static List<Plan> PlanTimes(Random random, int count, int clients, int keys)
    {
        // Each client issues one operation at a time; the next free client goes first.
        var free = new PriorityQueue<int, long>();
        for (var c = 0; c < clients; c++)
        {
            free.Enqueue(c, random.Next(MaxThink));
        }

        var plans = new List<Plan>(count);
        for (var id = 1; id <= count; id++)
        {
            free.TryDequeue(out var client, out var invoke);
            var effect = invoke + random.Next(1, MaxLatency);
            var complete = effect + random.Next(1, MaxLatency);
            plans.Add(new Plan(id, client, $"key-{random.Next(keys)}", invoke, effect, complete));
            free.Enqueue(client, complete + random.Next(MaxThink));
        }

        return plans;
    }

    private static Operation Decide(
        Random random,
        Plan plan,
        string? current,
        List<string> history,
        double unknownRate,
        double unavailableRate,
        out string? next)
    {
        var op = new Operation
        {
            Id = plan.Id,
            Client = plan.Client,
            Key = plan.Key,
            Kind = OperationKind.Read,
            InvokeNs = plan.InvokeNs,
            CompleteNs = plan.CompleteNs,
            Outcome = OperationOutcome.Ok,
        };
        var value = $"v{plan.Id}";
        var roll = random.NextDouble();
        next = current;

        if (random.NextDouble() < unavailableRate)
        {
            // 503: not attempted, no effect.
            var kind = roll < 0.5 ? OperationKind.Read : OperationKind.Write;
            return op with { Kind = kind, Value = kind == OperationKind.Write ? value : null, Outcome = OperationOutcome.Fail };
        }

        var unknown = random.NextDouble() < unknownRate;
        var applies = !unknown || random.NextDouble() < 0.5;
        if (roll < 0.45)
        {
            return unknown ? op with { CompleteNs = null, Outcome = OperationOutcome.Unknown } : op with { Result = current };
        }

        Operation decided;
        bool happened;
        if (roll < 0.7)
        {
            decided = op with { Kind = OperationKind.Write, Value = value };
            happened = true;
            next = applies ? value : current;
        }
        else if (roll < 0.9)
        {
            // Half the time expect the current value, else an older one or absence, so both answers occur.
            var expected = random.NextDouble() < 0.5 ? current
                : history.Count > 0 && random.NextDouble() < 0.7 ? history[random.Next(history.Count)]
                : null;
            happened = expected == current;
            decided = op with
            {
                Kind = OperationKind.Cas,
                Value = value,
                Expected = expected,
                ExpectedAbsent = expected is null,
                Outcome = happened ? OperationOutcome.Ok : OperationOutcome.Fail,
            };
            next = happened && applies ? value : current;
        }
        else
        {
            happened = current is not null;
            decided = op with { Kind = OperationKind.Delete, Outcome = happened ? OperationOutcome.Ok : OperationOutcome.Fail };
            next = happened && applies ? null : current;
        }

        return unknown ? decided with { CompleteNs = null, Outcome = OperationOutcome.Unknown } : decided;
    }

    private sealed record Plan(long Id, int Client, string Key, long InvokeNs, long EffectNs, long CompleteNs);
}
