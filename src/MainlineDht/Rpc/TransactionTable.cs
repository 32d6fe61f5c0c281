using System.Buffers.Binary;
using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Rpc;

/// <summary>
/// The queries a node has in flight, keyed by a random 2-byte transaction id. A reply completes a
/// transaction only when both its id and its source endpoint match. Bounded: when
/// <see cref="Capacity"/> queries are in flight, no more are accepted. Not thread-safe: the node
/// serializes access.
/// </summary>
internal sealed class TransactionTable
{
    // An open-addressing table (linear probing, at most half full) of the queries themselves, keyed
    // by their transaction id: 4 slots (56 bytes) for a node with a query or two in flight, where a
    // dictionary took ~210 bytes. Empty until the first query.
    private PendingQuery?[] _slots = [];
    private int _count;
    private readonly Random _random;

    public TransactionTable(int capacity, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 32_768);
        Capacity = capacity;
        _random = random;
    }

    /// <summary>The room an idle table keeps (more is given back when nothing is in flight).</summary>
    internal const int IdleCapacity = 16;

    /// <summary>The fewest slots a table has once it holds a query.</summary>
    private const int FirstSlots = 4;

    public int Capacity { get; }

    /// <summary>The room the table has now, in queries (tests).</summary>
    internal int Room => _slots.Length / 2;

    public int Count => _count;

    /// <summary>Registers a query; false when the table is full.</summary>
    public bool TryAdd(PendingQuery query)
    {
        if (_count >= Capacity)
        {
            return false;
        }

        if ((_count + 1) * 2 > _slots.Length)
        {
            Resize(Math.Max(FirstSlots, _slots.Length * 2));
        }

        ushort id;
        do
        {
            id = (ushort)_random.Next(0, 65536);
        }
        while (Find(id) >= 0);

        query.TransactionId = id;
        Put(query);
        _count++;
        return true;
    }

    /// <summary>Finds and removes the query a reply answers: same transaction id, same endpoint.</summary>
    public bool TryTake(ReadOnlySpan<byte> transactionId, IPEndPoint source, out PendingQuery query)
    {
        if (transactionId.Length == 2
            && Find(BinaryPrimitives.ReadUInt16BigEndian(transactionId)) is int slot and >= 0
            && SameEndPoint(_slots[slot]!.EndPoint, source))
        {
            query = _slots[slot]!;
            RemoveAt(slot);
            return true;
        }

        query = null!;
        return false;
    }

    /// <summary>Removes a query that timed out or was cancelled; false when it was already completed.</summary>
    public bool Remove(PendingQuery query)
    {
        if (Find(query.TransactionId) is int slot and >= 0 && ReferenceEquals(_slots[slot], query))
        {
            RemoveAt(slot);
            return true;
        }

        return false;
    }

    /// <summary>Removes and returns every query (the node is stopping).</summary>
    public List<PendingQuery> TakeAll()
    {
        var all = new List<PendingQuery>(_count);
        foreach (PendingQuery? query in _slots)
        {
            if (query is not null)
            {
                all.Add(query);
            }
        }

        _slots = [];
        _count = 0;
        return all;
    }

    private int Home(ushort id) => (int)((id * 0x9E3779B1u) >> 16) & (_slots.Length - 1);

    /// <summary>The slot of the query with this transaction id; -1 if none.</summary>
    private int Find(ushort id)
    {
        if (_slots.Length == 0)
        {
            return -1;
        }

        int mask = _slots.Length - 1;
        for (int i = Home(id); _slots[i] is PendingQuery held; i = (i + 1) & mask)
        {
            if (held.TransactionId == id)
            {
                return i;
            }
        }

        return -1;
    }

    private void Put(PendingQuery query)
    {
        int mask = _slots.Length - 1;
        int i = Home(query.TransactionId);
        while (_slots[i] is not null)
        {
            i = (i + 1) & mask;
        }

        _slots[i] = query;
    }

    private void Resize(int length)
    {
        PendingQuery?[] old = _slots;
        _slots = new PendingQuery?[length];
        foreach (PendingQuery? query in old)
        {
            if (query is not null)
            {
                Put(query);
            }
        }
    }

    /// <summary>
    /// Empties a slot (backward-shift deletion: later queries of its cluster move into the hole when
    /// their home allows). Gives back the room a burst took (a join has some sixty queries in flight;
    /// a node idles with none or a few) once nothing is in flight.
    /// </summary>
    private void RemoveAt(int i)
    {
        _count--;
        if (_count == 0 && _slots.Length > IdleCapacity * 2)
        {
            _slots = new PendingQuery?[FirstSlots];
            return;
        }

        int mask = _slots.Length - 1;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (_slots[j] is not PendingQuery moving)
            {
                break;
            }

            int home = Home(moving.TransactionId);
            if (!LinearProbing.Stays(i, j, home))
            {
                _slots[i] = moving;
                i = j;
            }
        }

        _slots[i] = null;
    }

    private static bool SameEndPoint(IPEndPoint a, IPEndPoint b)
    {
        if (a.Port != b.Port)
        {
            return false;
        }

        IPAddress x = a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address;
        IPAddress y = b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address;
        return x.Equals(y);
    }
}

/// <summary>One query in flight.</summary>
internal sealed class PendingQuery
{
    public PendingQuery(IPEndPoint endPoint, KrpcMethod method, NodeId? expectedId, long sentTimestamp, bool runContinuationsAsynchronously)
    {
        EndPoint = endPoint;
        Method = method;
        ExpectedId = expectedId;
        SentTimestamp = sentTimestamp;
        Completion = new TaskCompletionSource<RpcResult>(runContinuationsAsynchronously ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
    }

    public ushort TransactionId { get; set; }

    public IPEndPoint EndPoint { get; }

    public KrpcMethod Method { get; }

    /// <summary>The id we believe the node has, if known (from the routing table or a <c>nodes</c> reply).</summary>
    public NodeId? ExpectedId { get; }

    public long SentTimestamp { get; }

    public TaskCompletionSource<RpcResult> Completion { get; }

    public CancellationTokenRegistration Cancellation { get; set; }

    /// <summary>The query sent just before / after this one while both are in flight (the <see cref="RpcClient"/>'s deadline order).</summary>
    internal PendingQuery? Previous { get; set; }

    /// <inheritdoc cref="Previous"/>
    internal PendingQuery? Next { get; set; }
}
