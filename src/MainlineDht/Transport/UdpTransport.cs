using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace MainlineDht.Transport;

/// <summary>
/// A UDP socket as a <see cref="IDatagramTransport"/>. Receiving runs on dedicated threads (two on
/// a machine with more than one core, otherwise one), each blocked in the kernel on the socket with
/// its own buffer, as a plain UDP server is: a datagram wakes one of them, which hands it to the
/// receiver synchronously, so that two datagrams can be decoded and answered at once and no
/// datagram waits for a thread-pool hop. Sends are synchronous (a UDP send does not block on a
/// healthy socket); a reply sent by the receiving thread to the datagram's source reuses the socket
/// address just received.
/// </summary>
public sealed class UdpTransport : IDatagramTransport
{
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly SendPolicy _policy;
    private readonly int _receiverCount;
    private ReceiveThread[]? _receivers;
    private int _disposed;

    private UdpTransport(Socket socket, SendPolicy policy, int receiverCount)
    {
        _socket = socket;
        _policy = policy;
        _receiverCount = receiverCount;
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
    public static UdpTransport Bind(IPEndPoint localEndPoint, SendPolicy? policy = null) =>
        Bind(localEndPoint, policy, Math.Min(2, Environment.ProcessorCount));

    /// <summary>Binds a UDP socket received on by <paramref name="receiverCount"/> threads.</summary>
    internal static UdpTransport Bind(IPEndPoint localEndPoint, SendPolicy? policy, int receiverCount)
    {
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
            return new UdpTransport(socket, policy ?? SendPolicy.AllowAll, receiverCount);
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
            if (CurrentSourceAddress(destination) is SocketAddress address)
            {
                _socket.SendTo(datagram, SocketFlags.None, address);
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

    /// <summary>The socket address of <paramref name="destination"/> when it is the source of the datagram this thread is handling.</summary>
    private SocketAddress? CurrentSourceAddress(IPEndPoint destination)
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
                return ReferenceEquals(receiver.Source, destination) ? receiver.Address : null;
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

    /// <summary>
    /// One receiving thread: its buffer and socket address, and the datagram it is
    /// handing to the receiver (so that a reply to its source is sent to the raw address).
    /// </summary>
    private sealed class ReceiveThread
    {
        private readonly UdpTransport _transport;
        private readonly IDatagramReceiver _receiver;
        private readonly SourceEndPoints _sources;
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Thread _thread;

        public ReceiveThread(UdpTransport transport, IDatagramReceiver receiver, SourceEndPoints sources)
        {
            _transport = transport;
            _receiver = receiver;
            _sources = sources;
            Address = new SocketAddress(transport._socket.AddressFamily);
            _thread = new Thread(Run, maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = $"DHT UDP {transport.LocalEndPoint}",
            };
        }

        /// <summary>Completes when the thread has ended; faults with what a receiver threw (a broken contract).</summary>
        public Task Stopped => _stopped.Task;

        /// <summary>The managed id of the thread while it hands a datagram to the receiver; 0 otherwise.</summary>
        public int HandlingOn { get; private set; }

        /// <summary>The source of the datagram being handled.</summary>
        public IPEndPoint? Source { get; private set; }

        /// <summary>The socket address of the datagram being handled (this thread's, reused for each datagram).</summary>
        public SocketAddress Address { get; }

        public void Start() => _thread.Start();

        private void Run()
        {
            try
            {
                Receive();
                _stopped.TrySetResult();
            }
            catch (Exception e)
            {
                // Only a receiver that broke its contract (it must not throw) gets here: the fault is
                // kept for DisposeAsync, as an awaited receive loop's would be.
                _stopped.TrySetException(ExceptionDispatchInfo.SetCurrentStackTrace(e));
            }
        }

        private void Receive()
        {
            Socket socket = _transport._socket;
            byte[] buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
            int thread = Environment.CurrentManagedThreadId;
            while (Volatile.Read(ref _transport._disposed) == 0)
            {
                int received;
                try
                {
                    received = socket.ReceiveFrom(buffer, SocketFlags.None, Address);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException) when (Volatile.Read(ref _transport._disposed) != 0)
                {
                    return;
                }
                catch (SocketException)
                {
                    // An ICMP error for an earlier send, or an oversized datagram: nothing to deliver.
                    Interlocked.Increment(ref _transport._receiveErrors);
                    continue;
                }

                if (Volatile.Read(ref _transport._disposed) != 0)
                {
                    return; // the socket was shut down: what it returns now is no datagram
                }

                Source = _sources.Get(Address);
                HandlingOn = thread;
                try
                {
                    _receiver.OnDatagram(buffer.AsMemory(0, received), Source);
                }
                finally
                {
                    HandlingOn = 0;
                    Source = null;
                }
            }
        }
    }
}
