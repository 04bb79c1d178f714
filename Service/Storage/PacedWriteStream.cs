namespace GeoLedger.Storage;

/// <summary>
/// A write-only file stream that writes its bytes out to the disk a slice at a time (see
/// <see cref="FileSync.WriteBack"/>) instead of leaving them all for the final flush. A 100 MiB
/// snapshot flushed at once fills the disk's queue, and every log flush of the writes going on beside
/// it waits behind it (a write during a 1M-key snapshot took 195 ms against a p99 of 38 ms).
/// </summary>
internal sealed class PacedWriteStream(FileStream file, long sliceBytes) : Stream
{
    private long writtenBack;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        if (file.Position - writtenBack >= sliceBytes)
            WriteBackPending();
    }

    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        await WriteAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (file.Position - writtenBack >= sliceBytes)
            WriteBackPending();
    }

    /// <summary>Writes what is buffered to the file and makes it durable (data and size).</summary>
    public override void Flush()
    {
        file.Flush();
        WriteBackPending();
        file.Flush(flushToDisk: true);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            file.Dispose();
        base.Dispose(disposing);
    }

    private void WriteBackPending()
    {
        file.Flush(); // the FileStream's own buffer to the page cache
        var end = file.Position;
        FileSync.WriteBack(file.SafeFileHandle, writtenBack, end - writtenBack);
        writtenBack = end;
    }
}
