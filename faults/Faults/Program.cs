using GeoLedger.Faults.Checker;

// The fault-injection suite's entry point; only `check` exists so far.
return CheckCommand.Run(args, Console.Out, Console.Error);
