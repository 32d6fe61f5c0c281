using System.Net;
using MainlineDht.Diagnostics;
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
internal sealed class NodeContext : IOutboxOwner, IBanObserver
{
    private FaultSites? _faultSites; // made at the first fault (under the gate)

    public NodeContext(DhtNodeOptions options, NodeId id, Random random, WriteTokenManager tokens, PeerStore peers, NodeDiagnostics? diagnostics = null)
    {
        Options = options;
        _id = new IdHolder(id);
        Random = random;
        Tokens = tokens;
        Peers = peers;
        Items = new ItemStore(new ItemStoreOptions { MaxItems = options.MaxItems, ItemLifetime = options.ItemLifetime }, options.ItemSignatureVerifier);
        Diagnostics = diagnostics ?? new NodeDiagnostics(options.LoggerFactory, options.MeterFactory, options.TimeProvider);
        // A limit that is off costs nothing (a simulated node has both off: ~220 bytes).
        RateLimiter = options.QueriesPerSecondPerIp > 0
            ? new QueryRateLimiter(options.QueriesPerSecondPerIp, options.QueryBurstPerIp, options.IpBanThreshold, options.IpBanDuration, options.TimeProvider) { BanObserver = this }
            : null;
        Bandwidth = options.ReplyBytesPerSecond > 0 ? new ReplyBandwidth(options.ReplyBytesPerSecond, options.TimeProvider) : null;
        Outbox = new Outbox(Gate, this);
    }

    /// <summary>The node's logger, instruments and activity source.</summary>
    public NodeDiagnostics Diagnostics { get; }

    /// <summary>The node's logger (it never throws).</summary>
    public Microsoft.Extensions.Logging.ILogger Logger => Diagnostics.Logger;

    public DhtMetrics Metrics => Diagnostics.Metrics;

    /// <summary>The node's gate: routing, storage, transactions and counters are touched only under it.</summary>
    public Lock Gate { get; } = new();

    public DhtNodeOptions Options { get; }

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>The node's generator (ids, transaction ids, sampling); used under the gate.</summary>
    public Random Random { get; }

    /// <summary>The node id (both families'); it changes when BEP 42 derives a secure one (<see cref="ChangeId"/>). Readable from any thread.</summary>
    public NodeId Id => _id.Value;

    private volatile IdHolder _id;

    /// <summary>Under the gate: the node takes a new id (the engines re-bucket their tables).</summary>
    public void ChangeId(NodeId id) => _id = new IdHolder(id);

    /// <summary>A node id in an object, so that a change is one reference write (a 20-byte struct could be read torn).</summary>
    private sealed record IdHolder(NodeId Value);

    public NodeCounters Counters { get; } = new();

    /// <summary>Announced peers, shared by both address families.</summary>
    public PeerStore Peers { get; }

    /// <summary>BEP 44 items put to us, shared by both address families (mutable ones only with a signature verifier).</summary>
    public ItemStore Items { get; }

    /// <summary>Write tokens, shared by both address families (a token is bound to the requester's address).</summary>
    public WriteTokenManager Tokens { get; }

    /// <summary>The per-source-IP query limit (each family's addresses are distinct); null when it is off.</summary>
    public QueryRateLimiter? RateLimiter { get; }

    /// <summary>The byte budget of the node's replies (verified nodes first); null when it is off.</summary>
    public ReplyBandwidth? Bandwidth { get; }

    /// <summary>Where datagrams wait for the gate to be released.</summary>
    public Outbox Outbox { get; }

    /// <summary>
    /// BEP 43: whether the node runs read-only now (queries carry <c>ro</c> = 1, none is answered):
    /// because the options say so, or because it found itself firewalled (<see cref="AutoReadOnly"/>).
    /// Readable from any thread.
    /// </summary>
    public bool ReadOnly => Options.ReadOnly || _autoReadOnly;

    /// <summary>Read-only because the node found itself firewalled (<see cref="DhtNodeOptions.ReadOnlyWhenFirewalled"/>); set under the gate.</summary>
    public bool AutoReadOnly
    {
        get => _autoReadOnly;
        set => _autoReadOnly = value;
    }

    private volatile bool _autoReadOnly;

    /// <summary>When a query last reached the node (any query, before any limit), as a timestamp of <see cref="Time"/>; 0 before the first. Under the gate.</summary>
    public long LastQueryReceived { get; private set; }

    /// <summary>Set when a query arrived while the node was read-only by itself: the node should go back to answering.</summary>
    public bool QueryWhileAutoReadOnly
    {
        get => _queryWhileAutoReadOnly;
        set => _queryWhileAutoReadOnly = value;
    }

    private volatile bool _queryWhileAutoReadOnly;

    /// <summary>Under the gate: a query reached the node.</summary>
    public void OnQueryReceived()
    {
        LastQueryReceived = Time.GetTimestamp();
        if (_autoReadOnly)
        {
            QueryWhileAutoReadOnly = true;
        }
    }

    /// <summary>
    /// Who watches the queries the node hears (<see cref="DhtNode.WatchQueriesAsync"/>); null while
    /// nobody does, so that a handler pays one null check. Under the gate.
    /// </summary>
    public QueryWatchers? Watchers { get; set; }

    /// <summary>Set under the gate when the node stops.</summary>
    public bool Disposed { get; set; }

    /// <summary>Under the gate: counts a fault and returns what to log (after the gate is released), if its site is new.</summary>
    public FaultReport? NoteFault(Exception exception, string doing)
    {
        Counters.HandlerFaults++;
        Metrics.InternalError();
        return (_faultSites ??= new()).FirstReport(exception, doing);
    }

    /// <summary>Outside the gate: counts and logs a fault.</summary>
    public void ReportFault(Exception exception, string doing)
    {
        FaultReport? report;
        lock (Gate)
        {
            report = NoteFault(exception, doing);
        }

        LogFault(report);
    }

    /// <summary>Logs a fault <see cref="NoteFault"/> returned (outside the gate: a logger may be slow).</summary>
    public void LogFault(FaultReport? report)
    {
        if (report is not FaultReport fault)
        {
            return;
        }

        if (fault.Saturated)
        {
            Log.InternalErrorsSaturated(Logger, FaultSites.MaxSites);
        }
        else
        {
            Log.InternalError(Logger, fault.Exception, fault.Doing, fault.Exception.GetType().FullName ?? fault.Exception.GetType().Name, fault.Exception.Message, fault.Site);
        }
    }

    /// <summary>Under the limiter's lock, outside the gate (the limit is decided before it): a ban is rare (one per IP per ban length), and a logger does not call back into the node.</summary>
    void IBanObserver.OnBanned(IPAddress address, TimeSpan duration)
    {
        Metrics.IpBanned();
        Log.IpBanned(Logger, address, duration);
    }

    /// <summary>Outside the gate: a transport threw while sending.</summary>
    void IOutboxOwner.OnSendFault(Exception exception, IPEndPoint destination) => ReportFault(exception, $"sending a datagram to {destination}");

    /// <summary>Outside the gate: a datagram the transport did not send; logged when the send policy refused it.</summary>
    void IOutboxOwner.OnNotSent(IPEndPoint destination)
    {
        if (Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug) && !Options.SendPolicy.Permits(destination))
        {
            Log.SendRefused(Logger, destination);
        }
    }
}
