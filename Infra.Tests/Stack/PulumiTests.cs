// Pulumi's mock engine is process-wide: stack tests must run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
