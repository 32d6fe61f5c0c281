namespace MainlineDht.Protocol;

/// <summary>
/// One decoded <c>ping</c>, <c>find_node</c> and <c>get_peers</c> query that the decoder refills
/// instead of allocating a new one for each datagram (<see cref="KrpcCodec"/>'s internal overload): a
/// node answering a flood of these allocates nothing per query. Whoever holds it must be done with
/// the query before the next datagram is decoded into it, so it is taken with <see cref="TryTake"/>
/// and handed back with <see cref="Return"/> (a second thread that finds it taken decodes into new
/// objects). Nothing outside the node's receive path ever sees these instances.
/// </summary>
internal sealed class ReusableQueries
{
    private int _taken;

    // Each made at the first query of its kind (an idle node has none: 350 bytes).
    private PingQuery? _ping;
    private FindNodeQuery? _findNode;
    private GetPeersQuery? _getPeers;

    public PingQuery Ping => _ping ??= new();

    public FindNodeQuery FindNode => _findNode ??= new();

    public GetPeersQuery GetPeers => _getPeers ??= new();

    /// <summary>Takes the queries for one datagram; false when another thread holds them.</summary>
    public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;

    /// <summary>Hands them back: the last query decoded into them is not used any more.</summary>
    public void Return() => Volatile.Write(ref _taken, 0);
}

public abstract partial class KrpcMessage
{
    /// <summary>Sets the envelope of a reused message.</summary>
    private protected void Refill(ReadOnlyMemory<byte> transactionId, ReadOnlyMemory<byte> version, ReadOnlyMemory<byte> externalAddress)
    {
        _transactionId = transactionId;
        _version = version;
        _externalAddress = externalAddress;
    }
}

public abstract partial class KrpcQuery
{
    /// <summary>Sets what every reused query has (a decoded query carries no padding).</summary>
    private protected void RefillQuery(NodeId id, bool readOnly, ReadOnlyMemory<byte> transactionId, ReadOnlyMemory<byte> version, ReadOnlyMemory<byte> externalAddress)
    {
        Refill(transactionId, version, externalAddress);
        _id = id;
        _readOnly = readOnly;
        _padding = 0;
    }
}

public sealed partial class PingQuery
{
    internal PingQuery Refill(NodeId id, bool readOnly, ReadOnlyMemory<byte> transactionId, ReadOnlyMemory<byte> version, ReadOnlyMemory<byte> externalAddress)
    {
        RefillQuery(id, readOnly, transactionId, version, externalAddress);
        return this;
    }
}

public sealed partial class FindNodeQuery
{
    internal FindNodeQuery Refill(NodeId id, NodeId target, WantFamilies want, bool readOnly, ReadOnlyMemory<byte> transactionId, ReadOnlyMemory<byte> version, ReadOnlyMemory<byte> externalAddress)
    {
        RefillQuery(id, readOnly, transactionId, version, externalAddress);
        _target = target;
        _want = want;
        return this;
    }
}

public sealed partial class GetPeersQuery
{
    internal GetPeersQuery Refill(NodeId id, NodeId infoHash, WantFamilies want, bool noSeed, bool scrape, bool readOnly, ReadOnlyMemory<byte> transactionId, ReadOnlyMemory<byte> version, ReadOnlyMemory<byte> externalAddress)
    {
        RefillQuery(id, readOnly, transactionId, version, externalAddress);
        _infoHash = infoHash;
        _want = want;
        _noSeed = noSeed;
        _scrape = scrape;
        return this;
    }
}
