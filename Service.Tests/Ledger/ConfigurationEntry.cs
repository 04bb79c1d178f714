using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace GeoLedger.Tests.Ledger;

/// <summary>
/// A membership entry as .NEXT appends one: <c>IsConfiguration</c> with an opaque payload that is not a
/// ledger command (<see cref="BinaryLogEntry"/> keeps its own flag internal).
/// </summary>
internal readonly struct ConfigurationEntry(ReadOnlyMemory<byte> content, long term) : IInputLogEntry
{
    public long Term => term;

    public bool IsConfiguration => true;

    public object? Context { get; init; }

    bool ILogEntry.IsSnapshot => false;

    long? IDataTransferObject.Length => content.Length;

    bool IDataTransferObject.IsReusable => true;

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = content;
        return true;
    }

    ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token) => writer.Invoke(content, token);
}
