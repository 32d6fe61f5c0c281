using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Storage;
using MainlineDht.Transport;

namespace MainlineDht.Node;

/// <summary>
/// What the components of one node share: its gate (the lock that serializes its event loop), its
/// options, clock, randomness and id, its counters and fault reports, the outbox its datagrams
/// leave through, and the storage BEP 32 shares between address families (announced peers, BEP 44
/// items, write tokens). Built by <see cref="DhtNode"/>; one per node, nothing shared between nodes.
/// </summary>
internal sealed class NodeContext
{
    private readonly FaultSites _faultSites = new();

    public NodeContext(DhtNodeOptions options, NodeId id, Random random, WriteTokenManager tokens, PeerStore peers)
    {
        Options = options;
        Id = id;
        Random = random;
        Tokens = tokens;
        Peers = peers;
        Items = new ItemStore(new ItemStoreOptions { MaxItems = options.MaxItems, ItemLifetime = options.ItemLifetime }, options.ItemSignatureVerifier);
        RateLimiter = new QueryRateLimiter(options.QueriesPerSecondPerIp, options.QueryBurstPerIp, options.TimeProvider);
        Outbox = new Outbox(Gate, (e, destination) => ReportFault(e, $"sending a datagram to {destination}"));
    }

    /// <summary>The node's gate: routing, storage, transactions and counters are touched only under it.</summary>
    public Lock Gate { get; } = new();

    public DhtNodeOptions Options { get; }

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>The node's generator (ids, transaction ids, sampling); used under the gate.</summary>
    public Random Random { get; }

    public NodeId Id { get; }

    public NodeCounters Counters { get; } = new();

    /// <summary>Announced peers, shared by both address families.</summary>
    public PeerStore Peers { get; }

    /// <summary>BEP 44 items put to us, shared by both address families (mutable ones only with a signature verifier).</summary>
    public ItemStore Items { get; }

    /// <summary>Write tokens, shared by both address families (a token is bound to the requester's address).</summary>
    public WriteTokenManager Tokens { get; }

    /// <summary>The per-source-IP query limit (each family's addresses are distinct).</summary>
    public QueryRateLimiter RateLimiter { get; }

    /// <summary>Where datagrams wait for the gate to be released.</summary>
    public Outbox Outbox { get; }

    /// <summary>
    /// Who watches the queries the node hears (<see cref="DhtNode.WatchQueriesAsync"/>); null while
    /// nobody does, so that a handler pays one null check. Under the gate.
    /// </summary>
    public QueryWatchers? Watchers { get; set; }

    /// <summary>Set under the gate when the node stops.</summary>
    public bool Disposed { get; set; }

    /// <summary>Under the gate: counts a fault and returns the warning to give (after the gate is released), if its site is new.</summary>
    public string? NoteFault(Exception exception, string doing)
    {
        Counters.HandlerFaults++;
        return _faultSites.FirstReport(exception, doing);
    }

    /// <summary>Outside the gate: counts and reports a fault.</summary>
    public void ReportFault(Exception exception, string doing)
    {
        string? warning;
        lock (Gate)
        {
            warning = NoteFault(exception, doing);
        }

        if (warning is not null)
        {
            Warn(warning);
        }
    }

    /// <summary>
    /// Hands a warning to <see cref="DhtNodeOptions.OnWarning"/>; called outside the gate. A callback
    /// that throws is counted as an internal error: it may run on the receive path, which nothing may escape.
    /// </summary>
    public void Warn(string warning)
    {
        try
        {
            Options.OnWarning?.Invoke(warning);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lock (Gate)
            {
                Counters.HandlerFaults++;
            }
        }
    }
}
