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
    private readonly Dictionary<ushort, PendingQuery> _pending;
    private readonly Random _random;

    public TransactionTable(int capacity, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 32_768);
        Capacity = capacity;
        _random = random;
        // Grows with use: most nodes have a handful of queries in flight, and a simulation holds
        // a hundred thousand tables.
        _pending = [];
    }

    /// <summary>The room an idle table keeps (more is given back when nothing is in flight).</summary>
    internal const int IdleCapacity = 16;

    public int Capacity { get; }

    /// <summary>The room the table has now, in queries (tests).</summary>
    internal int Room => _pending.EnsureCapacity(0);

    public int Count => _pending.Count;

    /// <summary>Registers a query; false when the table is full.</summary>
    public bool TryAdd(PendingQuery query)
    {
        if (_pending.Count >= Capacity)
        {
            return false;
        }

        ushort id;
        do
        {
            id = (ushort)_random.Next(0, 65536);
        }
        while (_pending.ContainsKey(id));

        query.TransactionId = id;
        _pending.Add(id, query);
        return true;
    }

    /// <summary>Finds and removes the query a reply answers: same transaction id, same endpoint.</summary>
    public bool TryTake(ReadOnlySpan<byte> transactionId, IPEndPoint source, out PendingQuery query)
    {
        if (transactionId.Length == 2
            && _pending.TryGetValue(BinaryPrimitives.ReadUInt16BigEndian(transactionId), out query!)
            && SameEndPoint(query.EndPoint, source))
        {
            _pending.Remove(query.TransactionId);
            ShrinkWhenIdle();
            return true;
        }

        query = null!;
        return false;
    }

    /// <summary>Removes a query that timed out or was cancelled; false when it was already completed.</summary>
    public bool Remove(PendingQuery query)
    {
        if (_pending.TryGetValue(query.TransactionId, out PendingQuery? current) && ReferenceEquals(current, query) && _pending.Remove(query.TransactionId))
        {
            ShrinkWhenIdle();
            return true;
        }

        return false;
    }

    /// <summary>
    /// Gives back the room a burst took (a join has some sixty queries in flight; a node idles with
    /// none or a few) once nothing is in flight: 2 KB a node that a simulation of a hundred thousand
    /// nodes would otherwise keep.
    /// </summary>
    private void ShrinkWhenIdle()
    {
        if (_pending.Count == 0 && _pending.EnsureCapacity(0) > IdleCapacity)
        {
            _pending.TrimExcess();
        }
    }

    /// <summary>Removes and returns every query (the node is stopping).</summary>
    public List<PendingQuery> TakeAll()
    {
        var all = new List<PendingQuery>(_pending.Values);
        _pending.Clear();
        return all;
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
