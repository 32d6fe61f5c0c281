using System.Net;
using MainlineDht.Node;
using MainlineDht.Persistence;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;
using MainlineDht.Storage;
using MainlineDht.Transport;

namespace MainlineDht;

/// <summary>
/// A Mainline DHT node (BEP 5): answers <c>ping</c>, <c>find_node</c>, <c>get_peers</c>,
/// <c>announce_peer</c> and <c>sample_infohashes</c>, keeps a Kademlia routing table, stores
/// announced peers, and sends queries of its own.
/// </summary>
/// <remarks>
/// One node owns its state: every datagram, timer and API call is handled one at a time under
/// the node's own gate (its event loop), so the routing table and stores need no locks of their
/// own and two nodes in one process share nothing. A node costs no thread: on UDP its receive loop
/// runs on the thread pool; on <c>MainlineDht.Simulation</c>'s networks it runs on their virtual clock.
/// </remarks>
public sealed partial class DhtNode : IAsyncDisposable
{
    private const int BucketSize = 8;

    private readonly Lock _gate;
    private readonly NodeContext _context;
    private readonly DhtNodeOptions _options;
    private readonly IDatagramTransport _transport;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly RoutingTable _routing;
    private readonly Outbox _outbox;
    private readonly RpcClient _rpc;
    private readonly QueryDispatcher _dispatcher;
    private readonly PeerStore _peers;
    private readonly ExternalAddressVote _externalAddress = new();
    private readonly Upkeep _upkeep;
    private readonly List<NodeInfo> _savedNodes;
    private readonly List<DhtAnnouncement> _announcements = [];
    private bool _started;
    private bool _disposed;

    /// <summary>
    /// Creates a node on <paramref name="transport"/> (UDP, or an in-memory network for tests).
    /// Call <see cref="Start"/> to begin serving. <see cref="StartAsync"/> does both over UDP.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public DhtNode(DhtNodeOptions options, IDatagramTransport transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        options.Validate();
        _options = options;
        _transport = transport;
        _time = options.TimeProvider;
        // Generators of the node's own, never shared: options may start many nodes, and Random is not thread-safe.
        _random = options.RandomSeed is int seed ? new Random(seed) : new Random();
        _stateFile = options.StateFile is { } path ? new StateFile(path, options.OnWarning) : null;
        DhtNodeState? saved = _stateFile?.Load(_time.GetUtcNow());
        Id = options.NodeId ?? saved?.NodeId ?? NodeId.CreateRandom(_random);
        _savedNodes = saved is null ? [] : [.. saved.Nodes.Concat(saved.Nodes6).Where(n => n.Id != Id).Select(n => new NodeInfo(n.Id, n.EndPoint))];
        // Secrets are cryptographically random unless a seed is given (tests, simulations): then
        // they are reproducible too, from a generator of their own seeded by the node id (drawing
        // them from the node's Random would shift every later draw of a seeded run).
        WriteTokenManager tokens = options.RandomSeed is null
            ? new WriteTokenManager(_time.GetUtcNow())
            : new WriteTokenManager(_time.GetUtcNow(), new Random(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Id.ToArray())).NextBytes, WriteTokenManager.DefaultRotationInterval);
        _peers = new PeerStore(new PeerStoreOptions
        {
            MaxInfoHashes = options.MaxInfoHashes,
            MaxPeersPerInfoHash = options.MaxPeersPerInfoHash,
            PeerLifetime = options.PeerLifetime,
        }, _random);
        _context = new NodeContext(options, Id, _random, tokens, _peers);
        _gate = _context.Gate;
        _outbox = _context.Outbox;
        _routing = new RoutingTable(Id, System.Net.Sockets.AddressFamily.InterNetwork, new RoutingTableOptions());
        _rpc = new RpcClient(transport, _outbox, _gate, _time, _random, new RpcObserver(this), options.MaxOutstandingQueries, options.QueryTimeout, options.RunContinuationsInline);
        _dispatcher = new QueryDispatcher(_context, new QueryHost(this), transport);
        _upkeep = new Upkeep(_context, new UpkeepHost(this));
        _rebootstrapDelay = options.BootstrapRetryDelay;
    }

    /// <summary>This node's id.</summary>
    public NodeId Id { get; }

    /// <summary>The endpoint this node receives on.</summary>
    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>The options the node was created with.</summary>
    public DhtNodeOptions Options => _options;

    /// <summary>BEP 42: our external address as most repliers report it, or null before any did.</summary>
    public IPAddress? ExternalAddress
    {
        get
        {
            lock (_gate)
            {
                return _externalAddress.Leader;
            }
        }
    }

    /// <summary>Binds a UDP socket as <paramref name="options"/> say, and starts a node on it.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (for example the port is in use).</exception>
    public static Task<DhtNode> StartAsync(DhtNodeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        options.Validate();
        UdpTransport transport = UdpTransport.Bind(options.BindEndPoint, options.SendPolicy);
        var node = new DhtNode(options, transport);
        node.Start();
        return Task.FromResult(node);
    }

    /// <summary>Starts receiving and the node's upkeep timer.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _upkeep.Start();
        }

        _transport.Start(new Receiver(this));
    }

    /// <summary>A snapshot of the node's counters.</summary>
    public DhtNodeStatistics GetStatistics()
    {
        lock (_gate)
        {
            return _context.Counters.Snapshot([_rpc], _routing.Count, _peers.InfoHashCount, _peers.PeerCount);
        }
    }

    /// <summary>A snapshot of the routing table's live entries.</summary>
    public IReadOnlyList<RoutingTableEntry> GetRoutingTable()
    {
        lock (_gate)
        {
            return _routing.Snapshot(_time.GetUtcNow());
        }
    }

    /// <summary>
    /// Stops the node: saves its state when <see cref="DhtNodeOptions.StateFile"/> is set, ends
    /// pending queries as <see cref="RpcStatus.Cancelled"/>, stops announcing and closes the socket.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        List<DhtAnnouncement> announcements;
        TaskCompletionSource? joined;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _context.Disposed = true;
            _upkeep.Stop();
            _rebootstrapTimer?.Dispose();
            announcements = [.. _announcements];
            _announcements.Clear();
            joined = _joined;
            _joined = null;
        }

        _rpc.Stop();
        _lifetime.Cancel();
        joined?.TrySetException(new ObjectDisposedException(nameof(DhtNode), "The node stopped before it joined."));

        foreach (DhtAnnouncement announcement in announcements)
        {
            announcement.StopTimer();
        }

        SaveState();
        _outbox.Flush();
        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What the upkeep asks of the node, without making <see cref="IUpkeepHost"/> part of its public surface.</summary>
    private sealed class UpkeepHost(DhtNode node) : IUpkeepHost
    {
        public void RefreshRouting(DateTimeOffset now) => node.RefreshRouting(now);

        public Action? KeepJoined()
        {
            Joined joined = node.KeepJoined(out string? warning);
            if (joined == default && warning is null)
            {
                return null;
            }

            return () =>
            {
                joined.Deliver(node);
                if (warning is not null)
                {
                    node._options.OnWarning?.Invoke(warning);
                }
            };
        }

        public void SaveState() => node.SaveState();
    }

    /// <summary>Hears the outcomes of the node's queries, without making <see cref="IRpcObserver"/> part of its public surface.</summary>
    private sealed class RpcObserver(DhtNode node) : IRpcObserver
    {
        public void OnReply(NodeId id, IPEndPoint endPoint, TimeSpan roundTrip)
        {
            if (id != node.Id)
            {
                node.RoutingOnReply(id, endPoint, roundTrip, node._time.GetUtcNow());
            }
        }

        public void OnFailure(NodeId? expectedId, IPEndPoint endPoint) => node.RoutingOnFailure(expectedId, endPoint, node._time.GetUtcNow());

        public void OnExternalAddress(IPAddress voter, IPAddress address) => node._externalAddress.Add(voter, address);
    }

    /// <summary>Receives for the node without making <see cref="IDatagramReceiver"/> part of its public surface.</summary>
    private sealed class Receiver(DhtNode node) : IDatagramReceiver
    {
        public void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
        {
            node.OnDatagram(datagram, source);
            if (node._watchForLiveNode)
            {
                node.CheckJoined(); // a first live node may have entered the table
            }
        }
    }
}
