using System.Buffers;
using System.Net;

namespace MainlineDht.Transport;

/// <summary>Hears that a datagram handed to an <see cref="Outbox"/> was not sent.</summary>
internal interface IOutboxSender
{
    /// <summary>
    /// The datagram enqueued with <paramref name="state"/> and <paramref name="tag"/> was refused
    /// (send policy, closed transport, socket error) or its transport threw. Called outside the gate.
    /// </summary>
    void OnNotSent(object? state, int tag);

    /// <summary>The datagram enqueued with <paramref name="state"/> and <paramref name="tag"/> left. Called outside the gate.</summary>
    void OnSent(object? state, int tag)
    {
    }
}

/// <summary>Hears what an <see cref="Outbox"/> could not send (an interface, not delegates: two fewer objects a node). Called outside the gate.</summary>
internal interface IOutboxOwner
{
    /// <summary>A transport threw (a bug: UDP errors are results, not exceptions).</summary>
    void OnSendFault(Exception exception, IPEndPoint destination);

    /// <summary>The transport did not send a datagram to <paramref name="destination"/> (refused or failed).</summary>
    void OnNotSent(IPEndPoint destination);
}

/// <summary>
/// Datagrams a node encoded under its gate, sent once the gate is released: sending runs the
/// transport and its <see cref="SendPolicy"/> (user code), which must not run while the node's state
/// is locked. Whoever takes the gate calls <see cref="Flush"/> after releasing it; a nested call made
/// under the gate leaves the flush to the holder. Buffers are rented from the shared pool and
/// returned once sent.
/// </summary>
internal sealed class Outbox
{
    private readonly Lock _gate;
    private readonly IOutboxOwner _owner;
    private readonly Queue<Item> _queue = new();

    /// <param name="gate">The node's gate: the queue is touched only under it.</param>
    /// <param name="owner">Told of a transport that threw and of every datagram the transport did not send; called outside the gate.</param>
    public Outbox(Lock gate, IOutboxOwner owner)
    {
        _gate = gate;
        _owner = owner;
    }

    /// <summary>Datagrams waiting to be sent (under the gate).</summary>
    public int Count => _queue.Count;

    /// <summary>
    /// Queues <paramref name="buffer"/>[..<paramref name="length"/>] for <paramref name="destination"/>;
    /// the outbox owns the buffer from now on (rented from <see cref="ArrayPool{T}.Shared"/>). Under the gate.
    /// </summary>
    public void Enqueue(IDatagramTransport transport, byte[] buffer, int length, IPEndPoint destination, IOutboxSender? sender = null, object? state = null, int tag = 0) =>
        _queue.Enqueue(new Item(transport, buffer, length, destination, sender, state, tag));

    /// <summary>
    /// Sends everything queued, in order. Does nothing under the gate: its holder flushes once it lets go.
    /// Takes the gate once for up to <see cref="Batch"/> datagrams: what another thread queues after
    /// that is its own to flush (every holder of the gate flushes after releasing it).
    /// </summary>
    public void Flush()
    {
        if (_gate.IsHeldByCurrentThread)
        {
            return;
        }

        Items batch = default;
        int count;
        do
        {
            count = 0;
            lock (_gate)
            {
                while (count < Batch && _queue.TryDequeue(out batch[count]))
                {
                    count++;
                }
            }

            IDatagramTransport? broken = null;
            for (int i = 0; i < count; i++)
            {
                Item item = batch[i];
                batch[i] = default;
                if (ReferenceEquals(item.Transport, broken))
                {
                    // Dropped with the rest of what waited for the transport that threw.
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    item.Sender?.OnNotSent(item.State, item.Tag);
                }
                else
                {
                    // The send itself stays in Flush: a transport's fault is reported at this site.
                    bool sent = false;
                    Exception? fault = null;
                    try
                    {
                        sent = item.Transport.TrySend(item.Buffer.AsSpan(0, item.Length), item.Destination);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        fault = e;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(item.Buffer);
                    }

                    if (Sent(item, sent, fault))
                    {
                        broken = item.Transport;
                    }
                }
            }
        }
        while (count == Batch);
    }

    private const int Batch = 16;

    /// <summary>Tells the sender what became of one datagram; true when its transport threw (reported, and what else waits for it dropped).</summary>
    private bool Sent(Item item, bool sent, Exception? fault)
    {
        if (sent)
        {
            item.Sender?.OnSent(item.State, item.Tag);
        }
        else
        {
            item.Sender?.OnNotSent(item.State, item.Tag);
            if (fault is null)
            {
                _owner.OnNotSent(item.Destination);
            }
        }

        if (fault is not null)
        {
            // One fault, one report: what else waits for the broken transport is dropped with it
            // (as the work that queued it would have stopped at a throwing send).
            Drop(item.Transport);
            _owner.OnSendFault(fault, item.Destination);
            return true;
        }

        return false;
    }

    private void Drop(IDatagramTransport transport)
    {
        List<Item> dropped = [];
        lock (_gate)
        {
            int count = _queue.Count;
            for (int i = 0; i < count; i++)
            {
                Item item = _queue.Dequeue();
                if (ReferenceEquals(item.Transport, transport))
                {
                    dropped.Add(item);
                }
                else
                {
                    _queue.Enqueue(item);
                }
            }
        }

        foreach (Item item in dropped)
        {
            ArrayPool<byte>.Shared.Return(item.Buffer);
            item.Sender?.OnNotSent(item.State, item.Tag);
        }
    }

    /// <summary>A batch of queued datagrams taken under one acquisition of the gate (on the stack).</summary>
    [System.Runtime.CompilerServices.InlineArray(Batch)]
    private struct Items
    {
        private Item _first;
    }

    private readonly record struct Item(IDatagramTransport Transport, byte[] Buffer, int Length, IPEndPoint Destination, IOutboxSender? Sender, object? State, int Tag);
}
