using GeoLedger.Faults.Checker;
using GeoLedger.Faults.Run;
using GeoLedger.Faults.Watch;

// The fault-injection suite: `run` drives a faulty cluster and checks its history; `check` re-checks a kept history, `check-watch` its watch record.
switch (args.FirstOrDefault())
{
    case "check":
        return CheckCommand.Run(args, Console.Out, Console.Error);
    case "check-watch":
        return WatchCheckCommand.Run(args, Console.Out, Console.Error);
    case "run":
        var options = FaultRunOptions.Parse(args.Skip(1).ToList(), out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"faults run: {error}\n{FaultRunOptions.Usage}");
            return 64;
        }

        return await new FaultRun(options, Console.Out).RunAsync();
    default:
        Console.Error.WriteLine(FaultRunOptions.Usage);
        return 64;
}
