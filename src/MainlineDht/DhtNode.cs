using System.Net;
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

    private readonly Lock _gate = new();
    private readonly DhtNodeOptions _options;
    private readonly IDatagramTransport _transport;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly RoutingTable _routing;
    private readonly TransactionTable _transactions;
    private readonly WriteTokenManager _tokens;
    private readonly PeerStore _peers;
    private readonly QueryRateLimiter _rateLimiter;
    private readonly ExternalAddressVote _externalAddress = new();
    private readonly Counters _counters = new();
    private readonly Scratch _scratch = new();
    private ITimer? _maintenance;
    private readonly List<NodeInfo> _savedNodes;
    private readonly List<DhtAnnouncement> _announcements = [];
    private bool _stateWritable = true;
    private int _maintenanceTicks;
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
        DhtNodeState? saved = LoadState(options);
        Id = options.NodeId ?? saved?.NodeId ?? NodeId.CreateRandom(_random);
        _savedNodes = saved?.Nodes.Where(n => n.Id != Id).Select(n => new NodeInfo(n.Id, n.EndPoint)).ToList() ?? [];
        Id.WriteTo(_scratch.Id);
        _routing = new RoutingTable(Id, System.Net.Sockets.AddressFamily.InterNetwork, new RoutingTableOptions());
        _transactions = new TransactionTable(options.MaxOutstandingQueries, _random);
        // Secrets are cryptographically random unless a seed is given (tests, simulations): then
        // they are reproducible too, from a generator of their own seeded by the node id (drawing
        // them from the node's Random would shift every later draw of a seeded run).
        _tokens = options.RandomSeed is null
            ? new WriteTokenManager(_time.GetUtcNow())
            : new WriteTokenManager(_time.GetUtcNow(), new Random(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Id.ToArray())).NextBytes, WriteTokenManager.DefaultRotationInterval);
        _peers = new PeerStore(new PeerStoreOptions
        {
            MaxInfoHashes = options.MaxInfoHashes,
            MaxPeersPerInfoHash = options.MaxPeersPerInfoHash,
            PeerLifetime = options.PeerLifetime,
        }, _random);
        _rateLimiter = new QueryRateLimiter(options.QueriesPerSecondPerIp, options.QueryBurstPerIp, _time);
        _rebootstrapDelay = options.BootstrapRetryDelay;
        _lookups = new Lookups.LookupRunner([new LegacyLookupNetwork(this)], _time);
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
            _maintenance = _time.CreateTimer(static s => ((DhtNode)s!).OnMaintenance(), this, MaintenanceInterval, MaintenanceInterval);
        }

        _transport.Start(new Receiver(this));
    }

    /// <summary>A snapshot of the node's counters.</summary>
    public DhtNodeStatistics GetStatistics()
    {
        lock (_gate)
        {
            return _counters.Snapshot(_transactions.Count, _routing.Count, _peers.InfoHashCount, _peers.PeerCount);
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
        List<PendingQuery> pending;
        List<DhtAnnouncement> announcements;
        TaskCompletionSource? joined;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _maintenance?.Dispose();
            _rebootstrapTimer?.Dispose();
            pending = _transactions.TakeAll();
            announcements = [.. _announcements];
            _announcements.Clear();
            joined = _joined;
            _joined = null;
        }

        _lifetime.Cancel();
        joined?.TrySetException(new ObjectDisposedException(nameof(DhtNode), "The node stopped before it joined."));

        foreach (DhtAnnouncement announcement in announcements)
        {
            announcement.StopTimer();
        }

        TrySaveState();

        foreach (PendingQuery query in pending)
        {
            query.Timer?.Dispose();
            query.Cancellation.Unregister();
            query.Completion.TrySetResult(new RpcResult(RpcStatus.Cancelled, query.EndPoint, null, null, TimeSpan.Zero));
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The pooled buffer a datagram is encoded into (rented per send from the shared pool rather than
    /// held per node, or zeroed on the stack each time): a reply is kept under
    /// <see cref="KrpcCodec.MaxDatagramSize"/>, a query we build is smaller.
    /// </summary>
    private const int SendBufferSize = KrpcCodec.MaxDatagramSize + 512;

    private static TimeSpan MaintenanceInterval => TimeSpan.FromSeconds(30);

    private void OnMaintenance()
    {
        bool save;
        Joined joined;
        string? warning;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            _peers.RemoveExpired(now);
            RefreshRouting(now);
            joined = KeepJoined(out warning);
            save = _options.StateFile is not null && ++_maintenanceTicks % SaveEveryTicks == 0;
        }

        joined.Deliver(this);
        if (warning is not null)
        {
            _options.OnWarning?.Invoke(warning);
        }

        if (save)
        {
            TrySaveState();
        }
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

    /// <summary>
    /// Buffers reused under the gate, so that answering a query allocates only the reply. Datagrams
    /// are encoded into pooled buffers (<see cref="SendBufferSize"/>). The buffers only some replies need are
    /// allocated at their first use: most nodes never send values, samples, IPv6 nodes or scrape
    /// filters, and a simulation runs a hundred thousand nodes in one process.
    /// </summary>
    private sealed class Scratch
    {
        public readonly byte[] Id = new byte[NodeId.Size];
        public readonly byte[] Nodes = new byte[CompactFormat.NodeV4Size * BucketSize];
        public readonly byte[] Token = new byte[32];
        public readonly byte[] Ip = new byte[CompactFormat.PeerV6Size];
        public readonly NodeEntry[] Closest = new NodeEntry[BucketSize];
        private byte[]? _nodes6;
        private byte[]? _values;
        private byte[]? _samples;
        private NodeId[]? _sampledIds;
        private ScrapeBloomFilter? _seedsFilter;
        private ScrapeBloomFilter? _peersFilter;
        private byte[]? _seedsBits;
        private byte[]? _peersBits;

        public byte[] Nodes6 => _nodes6 ??= new byte[CompactFormat.NodeV6Size * BucketSize];

        public byte[] Values => _values ??= new byte[KrpcCodec.MaxDatagramSize];

        public byte[] Samples => _samples ??= new byte[NodeId.Size * MaxSamples];

        public NodeId[] SampledIds => _sampledIds ??= new NodeId[MaxSamples];

        public ScrapeBloomFilter SeedsFilter => _seedsFilter ??= new ScrapeBloomFilter();

        public ScrapeBloomFilter PeersFilter => _peersFilter ??= new ScrapeBloomFilter();

        public byte[] SeedsBits => _seedsBits ??= new byte[ScrapeBloomFilter.Size];

        public byte[] PeersBits => _peersBits ??= new byte[ScrapeBloomFilter.Size];
    }
}
