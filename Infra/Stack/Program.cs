using GeoLedger.Infra.Stack;

// The Pulumi program: read the stack config, make the plan, build its resources.
return await Pulumi.Deployment.RunAsync(GeoLedgerStack.RunAsync);
