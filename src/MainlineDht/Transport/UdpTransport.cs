using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Transport;

/// <summary>
/// A UDP socket as a <see cref="IDatagramTransport"/>. One receive loop runs on the thread pool
/// with one reused buffer and socket address, and hands each datagram to the receiver
/// synchronously; sends are synchronous (a UDP send does not block on a healthy socket).
/// </summary>
public sealed class UdpTransport : IDatagramTransport
{
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly SendPolicy _policy;
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;
    private int _disposed;

    private UdpTransport(Socket socket, SendPolicy policy)
    {
        _socket = socket;
        _policy = policy;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams that could not be sent (socket errors or refused by the policy).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    private long _sendFailures;

    /// <summary>Receive calls that failed with a socket error (ICMP errors, oversized datagrams).</summary>
    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    private long _receiveErrors;

    /// <summary>
    /// Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 picks a free port).
    /// </summary>
    /// <exception cref="SocketException">The address is not available or the port is in use.</exception>
    public static UdpTransport Bind(IPEndPoint localEndPoint, SendPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.ReceiveBufferSize = 4 * 1024 * 1024;
            socket.SendBufferSize = 4 * 1024 * 1024;
            socket.Bind(localEndPoint);
            return new UdpTransport(socket, policy ?? SendPolicy.AllowAll);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Start(IDatagramReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (_receiveLoop is not null)
        {
            throw new InvalidOperationException("The transport is already started.");
        }

        _receiveLoop = Task.Run(() => ReceiveLoopAsync(receiver, _stop.Token));
    }

    /// <inheritdoc/>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        if (Volatile.Read(ref _disposed) != 0 || !_policy.Allows(destination))
        {
            Interlocked.Increment(ref _sendFailures);
            return false;
        }

        try
        {
            if (_callbackThread == Environment.CurrentManagedThreadId && ReferenceEquals(destination, _callbackSource))
            {
                _socket.SendTo(datagram, SocketFlags.None, _callbackAddress!);
            }
            else
            {
                _socket.SendTo(datagram, SocketFlags.None, destination);
            }

            return true;
        }
        catch (SocketException)
        {
            // Unreachable destination, full buffer or a closed socket: the datagram is lost, as UDP may lose it.
            Interlocked.Increment(ref _sendFailures);
            return false;
        }
        catch (ObjectDisposedException)
        {
            Interlocked.Increment(ref _sendFailures);
            return false;
        }
    }

    private async Task ReceiveLoopAsync(IDatagramReceiver receiver, CancellationToken cancellationToken)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
        var address = new SocketAddress(_socket.AddressFamily);
        var sources = new SourceCache();
        IPEndPoint template = LocalEndPoint;
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier send, or an oversized datagram: nothing to deliver.
                Interlocked.Increment(ref _receiveErrors);
                continue;
            }

            IPEndPoint source = sources.Get(address, template);
            _callbackThread = Environment.CurrentManagedThreadId;
            _callbackSource = source;
            _callbackAddress = address;
            try
            {
                receiver.OnDatagram(buffer.AsMemory(0, received), source);
            }
            finally
            {
                _callbackThread = 0;
                _callbackSource = null;
            }
        }
    }

    // While the receiver handles a datagram on the receive thread, a reply to its source reuses
    // the socket address just received instead of serializing the endpoint again.
    private int _callbackThread;
    private IPEndPoint? _callbackSource;
    private SocketAddress? _callbackAddress;

    /// <summary>
    /// The last few senders' endpoints, so that a burst from one peer does not allocate an
    /// endpoint per datagram. Only the receive loop touches it.
    /// </summary>
    private sealed class SourceCache
    {
        private const int Size = 8;
        private readonly SocketAddress?[] _addresses = new SocketAddress?[Size];
        private readonly IPEndPoint?[] _endPoints = new IPEndPoint?[Size];
        private int _next;

        public IPEndPoint Get(SocketAddress address, IPEndPoint template)
        {
            for (int i = 0; i < Size; i++)
            {
                if (_addresses[i] is SocketAddress known && known.Equals(address))
                {
                    return _endPoints[i]!;
                }
            }

            var endPoint = (IPEndPoint)template.Create(address);
            var copy = new SocketAddress(address.Family, address.Size);
            address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
            _addresses[_next] = copy;
            _endPoints[_next] = endPoint;
            _next = (_next + 1) % Size;
            return endPoint;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
