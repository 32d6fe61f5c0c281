using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Transport;

/// <summary>
/// A UDP socket as a <see cref="IDatagramTransport"/>. Receiving runs on a dedicated thread blocked
/// in the kernel on the socket, as a plain UDP server is, which hands each datagram to the receiver
/// synchronously: no datagram waits for a thread-pool hop. On 64-bit Linux it receives in batches
/// (<see cref="MessageBatch"/>: <c>recvmmsg</c> takes every datagram waiting, up to 16, and the
/// replies to their sources leave together in one <c>sendmmsg</c>); elsewhere two threads (one on a
/// single core) receive one datagram at a time, each with its own buffer. One batched thread answers
/// more than two threads one datagram at a time (the load benchmark in the README): the node's gate
/// serializes the work anyway, and a second thread costs the cores a sender on the same machine needs.
/// Other sends are synchronous (a UDP send does not block on a healthy socket); a reply sent by the
/// receiving thread to the datagram's source reuses the socket address just received.
/// </summary>
public sealed partial class UdpTransport : IDatagramTransport
{
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly SendPolicy _policy;
    private readonly int _receiverCount;
    private readonly bool _batched;
    private ReceiveThread[]? _receivers;
    private int _disposed;

    private UdpTransport(Socket socket, SendPolicy policy, int receiverCount, bool batched)
    {
        _socket = socket;
        _policy = policy;
        _receiverCount = receiverCount;
        _batched = batched;
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

    /// <summary>Receive calls that returned datagrams (with batches, fewer than the datagrams).</summary>
    internal long ReceiveCalls => Interlocked.Read(ref _receiveCalls);

    private long _receiveCalls;

    /// <summary>
    /// Binds a UDP socket to <paramref name="localEndPoint"/> (port 0 picks a free port).
    /// </summary>
    /// <exception cref="SocketException">The address is not available or the port is in use.</exception>
    public static UdpTransport Bind(IPEndPoint localEndPoint, SendPolicy? policy = null) =>
        MessageBatch.IsSupported
            ? Bind(localEndPoint, policy, 1, batched: true)
            : Bind(localEndPoint, policy, Math.Min(2, Environment.ProcessorCount), batched: false);

    /// <summary>
    /// Binds a UDP socket received on by <paramref name="receiverCount"/> threads, in batches
    /// (<see cref="MessageBatch"/>, Linux only) or one datagram at a time.
    /// </summary>
    internal static UdpTransport Bind(IPEndPoint localEndPoint, SendPolicy? policy, int receiverCount, bool batched)
    {
        if (batched && !MessageBatch.IsSupported)
        {
            throw new PlatformNotSupportedException("Batched receiving needs recvmmsg and sendmmsg (64-bit Linux).");
        }

        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(receiverCount, 1);
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
            return new UdpTransport(socket, policy ?? SendPolicy.AllowAll, receiverCount, batched);
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
        var receivers = new ReceiveThread[_receiverCount];
        var sources = new SourceEndPoints(LocalEndPoint);
        for (int i = 0; i < receivers.Length; i++)
        {
            receivers[i] = new ReceiveThread(this, receiver, sources);
        }

        if (Interlocked.CompareExchange(ref _receivers, receivers, null) is not null)
        {
            throw new InvalidOperationException("The transport is already started.");
        }

        foreach (ReceiveThread thread in receivers)
        {
            thread.Start();
        }
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
            ReceiveThread? current = CurrentReceiver();
            if (current is null || !ReferenceEquals(current.Source, destination))
            {
                _socket.SendTo(datagram, SocketFlags.None, destination);
            }
            else if (current.Batch is MessageBatch batch)
            {
                if (!batch.TryQueueReply(datagram, current.Index, current.OnSendFailed))
                {
                    _socket.SendTo(datagram, SocketFlags.None, destination);
                }
            }
            else
            {
                _socket.SendTo(datagram, SocketFlags.None, current.Address);
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

    /// <summary>The receiving thread this call runs on while it hands a datagram to the receiver; null on any other thread.</summary>
    private ReceiveThread? CurrentReceiver()
    {
        ReceiveThread[]? receivers = _receivers;
        if (receivers is null)
        {
            return null;
        }

        int thread = Environment.CurrentManagedThreadId;
        foreach (ReceiveThread receiver in receivers)
        {
            if (receiver.HandlingOn == thread)
            {
                return receiver;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Shut down first: on Linux a close alone does not wake a thread blocked receiving on the
        // socket, a shutdown does (the runtime does it as well as it closes; this does not rely on it).
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.NotConnected)
        {
            // An unconnected UDP socket reports ENOTCONN, having woken its receivers all the same.
        }

        _socket.Dispose();
        ReceiveThread[]? receivers = Interlocked.CompareExchange(ref _receivers, [], null);
        foreach (ReceiveThread receiver in receivers ?? [])
        {
            await receiver.Stopped.ConfigureAwait(false);
        }
    }
}
