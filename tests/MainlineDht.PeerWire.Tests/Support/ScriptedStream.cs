namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>
/// An in-memory duplex stream: reads return <see cref="Incoming"/> (in chunks of at most
/// <see cref="ChunkSize"/>), then either the end of the stream or, with <see cref="Endless"/>,
/// the filler byte forever; writes are kept in <see cref="Written"/>. Reads complete synchronously,
/// so a test can measure what one thread allocated.
/// </summary>
internal sealed class ScriptedStream(byte[] incoming, bool endless = false, byte filler = 0) : Stream
{
    private int _position;

    public byte[] Incoming { get; } = incoming;

    public bool Endless { get; } = endless;

    public int ChunkSize { get; init; } = 64 * 1024;

    public long BytesRead { get; private set; }

    public MemoryStream Written { get; } = new();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, ChunkSize);
        int fromScript = Math.Min(n, Incoming.Length - _position);
        Incoming.AsSpan(_position, fromScript).CopyTo(buffer);
        _position += fromScript;
        if (fromScript == n || !Endless)
        {
            BytesRead += fromScript;
            return fromScript;
        }

        buffer[fromScript..n].Fill(filler);
        BytesRead += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Written.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
