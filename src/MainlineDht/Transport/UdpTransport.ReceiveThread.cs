using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace MainlineDht.Transport;

// UdpTransport's receiving threads: one datagram at a time, or in batches (MessageBatch).
public sealed partial class UdpTransport
{
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
