using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

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
public sealed class UdpTransport : IDatagramTransport
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
            OnSendFailed = _ => Interlocked.Increment(ref transport._sendFailures);
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

        /// <summary>The socket address of the datagram being handled (this thread's, reused for each datagram; one at a time only).</summary>
        public SocketAddress Address { get; }

        /// <summary>The batch being handled (batched receiving only); replies to a datagram's source are queued in it.</summary>
        public MessageBatch? Batch { get; private set; }

        /// <summary>The index in <see cref="Batch"/> of the datagram being handled.</summary>
        public int Index { get; private set; }

        /// <summary>Counts a queued reply the socket refused.</summary>
        public Action<int> OnSendFailed { get; }

        public void Start() => _thread.Start();

        private void Run()
        {
            try
            {
                if (_transport._batched)
                {
                    ReceiveBatches();
                }
                else
                {
                    Receive();
                }

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

                Interlocked.Increment(ref _transport._receiveCalls);
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

        /// <summary>
        /// Receives in batches (<see cref="MessageBatch"/>): each datagram of a batch is handed to
        /// the receiver in turn, and the replies queued while they were handled leave together.
        /// The socket's descriptor is held (a reference on its handle) for as long as the loop runs,
        /// so that it cannot be closed, and its number reused, under a system call.
        /// </summary>
        private void ReceiveBatches()
        {
            SafeHandle handle = _transport._socket.SafeHandle;
            bool added = false;
            handle.DangerousAddRef(ref added);
            using var batch = new MessageBatch(_transport._socket.AddressFamily, (int)handle.DangerousGetHandle());
            try
            {
                int thread = Environment.CurrentManagedThreadId;
                while (Volatile.Read(ref _transport._disposed) == 0)
                {
                    int error = batch.Receive();
                    if (Volatile.Read(ref _transport._disposed) != 0)
                    {
                        return; // shut down: what the socket returns now is no datagram
                    }

                    if (error != 0)
                    {
                        // An ICMP error for an earlier send: nothing to deliver.
                        Interlocked.Increment(ref _transport._receiveErrors);
                        continue;
                    }

                    Interlocked.Increment(ref _transport._receiveCalls);
                    Batch = batch;
                    try
                    {
                        for (int i = 0; i < batch.Count; i++)
                        {
                            if (!batch.IsWhole(i))
                            {
                                Interlocked.Increment(ref _transport._receiveErrors); // longer than any KRPC message
                                continue;
                            }

                            Index = i;
                            Source = batch.SourceEndPoint(i, _sources);
                            HandlingOn = thread;
                            try
                            {
                                _receiver.OnDatagram(batch.Datagram(i), Source);
                            }
                            finally
                            {
                                HandlingOn = 0;
                                Source = null;
                            }
                        }
                    }
                    finally
                    {
                        Batch = null;
                        batch.Send(OnSendFailed);
                    }
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }
}
