using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Wire;

/// <summary>
/// One TCP connection to a peer: the handshake, then length-prefixed messages. Reads go into one
/// pooled buffer that grows only up to <see cref="PeerWireLimits.MaxMessageLength"/>; a message is
/// a slice of it, valid until the next read. Reads come from one reader at a time; sends may come
/// from any task (they are serialized).
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private const int InitialBuffer = 32 * 1024;

    private readonly Stream _stream;
    private readonly PeerWireLimits _limits;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private byte[] _receive;
    private int _start;     // first unread byte
    private int _end;       // one past the last byte received
    private int _consumed;  // bytes of the last message returned, dropped at the next read
    private bool _disposed;

    public PeerConnection(Stream stream, PeerWireLimits? limits = null, IPEndPoint? remote = null)
    {
        _stream = stream;
        _limits = limits ?? PeerWireLimits.Default;
        _receive = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        RemoteEndPoint = remote;
    }

    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Every byte read from the peer: handshake, framing and payloads.</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Opens a TCP connection to <paramref name="peer"/>, from <paramref name="bind"/> when given.</summary>
    public static async Task<PeerConnection> ConnectAsync(IPEndPoint peer, IPAddress? bind, PeerWireLimits? limits, CancellationToken cancellationToken)
    {
        var socket = new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (bind is not null)
            {
                socket.Bind(new IPEndPoint(bind, 0));
            }

            await socket.ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
            return new PeerConnection(new NetworkStream(socket, ownsSocket: true), limits, peer);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends our handshake and reads the peer's; fails when the peer's protocol string or
    /// infohash is wrong.
    /// </summary>
    public async Task<PeerHandshake> HandshakeAsync(NodeId infoHash, ReadOnlyMemory<byte> peerId, CancellationToken cancellationToken)
    {
        byte[] ours = new byte[Handshake.Length];
        Handshake.Write(ours, infoHash, peerId.Span);
        await SendAsync(ours, cancellationToken).ConfigureAwait(false);

        await FillAsync(Handshake.Length, cancellationToken).ConfigureAwait(false);
        PeerHandshake theirs = Handshake.Read(_receive.AsSpan(_start, Handshake.Length));
        _start += Handshake.Length;
        if (theirs.InfoHash != infoHash)
        {
            throw new PeerProtocolException(PeerProtocolError.InfoHashMismatch, $"the peer answered with infohash {theirs.InfoHash}, not {infoHash}");
        }

        return theirs;
    }

    /// <summary>Reads the next message; a keep-alive is returned as <see cref="PeerMessageId.KeepAlive"/>.</summary>
    public async ValueTask<PeerMessage> ReadMessageAsync(CancellationToken cancellationToken)
    {
        _start += _consumed;
        _consumed = 0;
        await FillAsync(4, cancellationToken).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_receive.AsSpan(_start, 4));
        if (length == 0)
        {
            _consumed = 4;
            return PeerMessage.KeepAlive;
        }

        // The limit depends on the kind: read its id (one byte more) before deciding.
        await FillAsync(5, cancellationToken).ConfigureAwait(false);
        var id = (PeerMessageId)_receive[_start + 4];
        (int min, int max) = _limits.LengthRange(id);
        if (min == max && length != (uint)min)
        {
            throw new PeerProtocolException(PeerProtocolError.BadMessageLength,
                $"the peer sent a {Describe(id)} message of {length} bytes; it takes exactly {min}");
        }

        if (length > (uint)max)
        {
            throw new PeerProtocolException(PeerProtocolError.MessageTooLarge,
                $"the peer announced a {Describe(id)} message of {length} bytes; at most {max} are accepted");
        }

        if (length < (uint)min)
        {
            throw new PeerProtocolException(PeerProtocolError.BadMessageLength,
                $"the peer sent a {Describe(id)} message of {length} bytes; it takes at least {min}");
        }

        int total = 4 + (int)length;
        await FillAsync(total, cancellationToken).ConfigureAwait(false);
        _consumed = total;
        return new PeerMessage(id, _receive.AsMemory(_start + 5, (int)length - 1));
    }

    /// <summary>Sends bytes already framed as messages (several may go in one write).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> messages, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(messages, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerProtocolException(PeerProtocolError.ConnectionClosed, $"the connection failed: {e.InnerException?.Message ?? e.Message}", e);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stream.DisposeAsync().ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(_receive);
        _receive = [];
        _sendGate.Dispose();
    }

    private static string Describe(PeerMessageId id) =>
        Enum.IsDefined(id) ? id.ToString().ToLowerInvariant() : $"unknown (id {(byte)id})";

    /// <summary>Reads until at least <paramref name="count"/> unread bytes are buffered.</summary>
    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return;
        }

        if (_receive.Length - _start < count)
        {
            MakeRoom(count);
        }

        while (_end - _start < count)
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(_receive.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new PeerProtocolException(PeerProtocolError.ConnectionClosed, $"the connection failed: {e.InnerException?.Message ?? e.Message}", e);
            }

            if (n == 0)
            {
                throw new PeerProtocolException(PeerProtocolError.ConnectionClosed, _end == _start
                    ? "the peer closed the connection"
                    : $"the peer closed the connection in the middle of a message ({_end - _start} of {count} bytes received)");
            }

            _end += n;
            BytesReceived += n;
        }
    }

    /// <summary>Moves the unread bytes to the front, into a larger pooled buffer when <paramref name="count"/> does not fit.</summary>
    private void MakeRoom(int count)
    {
        int unread = _end - _start;
        if (_receive.Length < count)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(count);
            _receive.AsSpan(_start, unread).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_receive);
            _receive = larger;
        }
        else
        {
            _receive.AsSpan(_start, unread).CopyTo(_receive);
        }

        _start = 0;
        _end = unread;
    }
}
