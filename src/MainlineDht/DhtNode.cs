using System.Net;
using System.Net.Sockets;
using MainlineDht.Diagnostics;
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
/// <c>announce_peer</c>, <c>sample_infohashes</c> and BEP 44 <c>get</c>/<c>put</c>, keeps a Kademlia
/// routing table per address family (BEP 32), stores announced peers and BEP 44 items, and sends
/// queries of its own.
/// </summary>
/// <remarks>
/// <para>
/// The node is the public façade and the composition root: it builds one engine per address family
/// it runs (each with its socket, routing table and RPC client) and the storage they share, and
/// exposes the API. One node owns its state: every datagram, timer and API call is handled one at a
/// time under the node's own gate (its event loop), so the routing tables and stores need no locks of
/// their own and two nodes in one process share nothing. A node costs no thread: on UDP its receive
/// loops run on the thread pool; on a simulated network they run on the network's clock.
/// </para>
/// <para>The lookups, bootstrap, state and upkeep glue are in the other <c>DhtNode.*.cs</c> files.</para>
/// </remarks>
public sealed partial class DhtNode : IAsyncDisposable
{
    private readonly NodeContext _context;
    private readonly Lock _gate;
    private readonly DhtNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly PeerStore _peers;
    private readonly Upkeep _upkeep;

    /// <summary>The running engines: the IPv4 one first, when it runs.</summary>
    private readonly DhtEngine[] _engines;
    private readonly NodeInfo[] _savedNodes;
    private List<DhtAnnouncement>? _announcements; // made at the first announcement
    private bool _started;

    /// <summary>Why IPv6 could not be bound, for <see cref="Start"/> to log; null when it was, or was not asked for.</summary>
    private readonly string? _ipv6Problem;

    /// <summary>
    /// Creates a node on <paramref name="transport"/> (UDP, or an in-memory network for tests): one
    /// engine of the transport's address family. Call <see cref="Start"/> to begin serving.
    /// <see cref="StartAsync"/> binds and starts over UDP.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public DhtNode(DhtNodeOptions options, IDatagramTransport transport)
        : this(options, [transport ?? throw new ArgumentNullException(nameof(transport))], ipv6Problem: null)
    {
    }

    /// <summary>
    /// Creates a dual-stack node (BEP 32) on an IPv4 and an IPv6 transport: one engine per family,
    /// one node id, shared storage. Call <see cref="Start"/> to begin serving.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid, or a transport's endpoint is not of its family.</exception>
    public DhtNode(DhtNodeOptions options, IDatagramTransport transportV4, IDatagramTransport transportV6)
        : this(options, [Checked(transportV4, AddressFamily.InterNetwork), Checked(transportV6, AddressFamily.InterNetworkV6)], ipv6Problem: null)
    {
    }

    private DhtNode(DhtNodeOptions options, IDatagramTransport[] transports, string? ipv6Problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = options.TimeProvider;
        // Generators of the node's own, never shared: options may start many nodes, and Random is not thread-safe.
        _random = options.RandomSeed is int seed ? new Random(seed) : new Random();
        // The context (and with it the logger and the meter) comes first: loading the state file may log.
        var diagnostics = new NodeDiagnostics(options.LoggerFactory, options.MeterFactory, options.TimeProvider, instrumented: !options.DiagnosticsOff);
        _stateFile = options.StateFile is { } path ? new StateFile(path, diagnostics.Logger) : null;
        DhtNodeState? saved = _stateFile?.Load(_time.GetUtcNow());
        NodeId id = options.NodeId ?? saved?.NodeId ?? NodeId.CreateRandom(_random);
        _savedNodes = saved is null ? [] : [.. saved.Nodes.Concat(saved.Nodes6).Where(n => n.Id != id).Select(n => new NodeInfo(n.Id, n.EndPoint))];
        _answeredRouters = saved is null ? [] : [.. saved.Routers];

        // Secrets are cryptographically random unless a seed is given (tests, simulations): then
        // they are reproducible too, from a generator of their own seeded by the node id (drawing
        // them from the node's Random would shift every later draw of a seeded run).
        WriteTokenManager tokens = options.RandomSeed is null
            ? new WriteTokenManager(_time.GetUtcNow())
            : new WriteTokenManager(_time.GetUtcNow(), id.Hi, WriteTokenManager.DefaultRotationInterval);
        _peers = new PeerStore(new PeerStoreOptions
        {
            MaxInfoHashes = options.MaxInfoHashes,
            MaxPeersPerInfoHash = options.MaxPeersPerInfoHash,
            PeerLifetime = options.PeerLifetime,
        }, _random);
        _context = new NodeContext(options, id, _random, tokens, _peers, diagnostics);
        _gate = _context.Gate;
        var host = new EngineHost(this);
        _engines = [.. transports.Select(t => new DhtEngine(_context, t, host)).OrderBy(e => e.Family == AddressFamily.InterNetwork ? 0 : 1)];
        _upkeep = new Upkeep(_context, new UpkeepHost(this));
        _rebootstrapDelay = options.BootstrapRetryDelay;
        _ipv6Problem = ipv6Problem;
        _lookups = new Lookups.LookupRunner(_engines, _time) { Diagnostics = _context.Diagnostics };
    }

    /// <summary>
    /// This node's id (one for both families). It changes once, to the id BEP 42 allows for our
    /// external address, when the replies of several nodes from distinct /24s agree on that address
    /// (and again if they later agree on another): see <see cref="IdChanged"/>. An id given in
    /// <see cref="DhtNodeOptions.NodeId"/> never changes.
    /// </summary>
    public NodeId Id => _context.Id;

    /// <summary>The endpoint this node receives on: the IPv4 one, or the IPv6 one when IPv4 does not run.</summary>
    public IPEndPoint LocalEndPoint => _engines[0].Transport.LocalEndPoint;

    /// <summary>The IPv6 endpoint this node receives on, or null when IPv6 does not run.</summary>
    public IPEndPoint? LocalEndPointV6 => EngineOf(AddressFamily.InterNetworkV6)?.Transport.LocalEndPoint;

    /// <summary>The options the node was created with.</summary>
    public DhtNodeOptions Options => _options;

    /// <summary>BEP 42: our external address as most repliers report it (over IPv4 when it runs), or null before any did.</summary>
    public IPAddress? ExternalAddress
    {
        get
        {
            lock (_gate)
            {
                return _engines[0].ExternalAddress;
            }
        }
    }

    /// <summary>
    /// Binds the UDP sockets <paramref name="options"/> ask for (<see cref="DhtNodeOptions.BindEndPoint"/>
    /// and <see cref="DhtNodeOptions.BindEndPointV6"/>) and starts a node on them. On a machine without
    /// IPv6, a node asked for both families runs IPv4 alone and says so once, as a warning logged
    /// through <see cref="DhtNodeOptions.LoggerFactory"/>.
    /// </summary>
    /// <exception cref="SocketException">An address cannot be bound (for example the port is in use).</exception>
    public static Task<DhtNode> StartAsync(DhtNodeOptions options, CancellationToken cancellationToken = default) =>
        BindAndStartAsync(options, static (endPoint, policy) => UdpTransport.Bind(endPoint, policy), cancellationToken);

    /// <summary><see cref="StartAsync(DhtNodeOptions, CancellationToken)"/> with the sockets bound by <paramref name="bind"/> (tests).</summary>
    internal static async Task<DhtNode> BindAndStartAsync(DhtNodeOptions options, Func<IPEndPoint, SendPolicy, IDatagramTransport> bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        options.Validate();
        (IPEndPoint? v4, IPEndPoint? v6) = options.EndPoints;
        var transports = new List<IDatagramTransport>(2);
        string? ipv6Problem = null;
        try
        {
            if (v4 is not null)
            {
                transports.Add(bind(v4, options.SendPolicy));
            }

            if (v6 is not null)
            {
                try
                {
                    transports.Add(bind(v6, options.SendPolicy));
                }
                catch (SocketException e) when (transports.Count > 0 && e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
                {
                    ipv6Problem = e.Message;
                }
            }
        }
        catch
        {
            foreach (IDatagramTransport transport in transports)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var node = new DhtNode(options, [.. transports], ipv6Problem);
        node.Start();
        return node;
    }

    /// <summary>Starts receiving and the node's upkeep timer.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context.Disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _upkeep.Start();
        }

        foreach (DhtEngine engine in _engines)
        {
            engine.Start();
        }

        if (_ipv6Problem is not null)
        {
            Log.Ipv6Unavailable(_context.Logger, _ipv6Problem);
        }

        if (_context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
        {
            Log.NodeStarted(_context.Logger, Id.ToString(), EndPointsText());
        }
    }

    /// <summary>The node's endpoints for a log message: one, or both families' (<c>A and [B]</c>).</summary>
    private string EndPointsText() => string.Join(" and ", _engines.Select(e => e.Transport.LocalEndPoint));

    /// <summary>A snapshot of the node's counters (over both families).</summary>
    public DhtNodeStatistics GetStatistics()
    {
        lock (_gate)
        {
            int v4 = EngineOf(AddressFamily.InterNetwork)?.Routing.Count ?? 0;
            int v6 = EngineOf(AddressFamily.InterNetworkV6)?.Routing.Count ?? 0;
            return _context.Counters.Snapshot(_engines.Select(e => e.Rpc), v4 + v6, _peers.InfoHashCount, _peers.PeerCount, _context.Items.Count) with
            {
                RoutingTableSizeV4 = v4,
                RoutingTableSizeV6 = v6,
                IpBans = _context.RateLimiter?.BansStarted ?? 0,
                IpsBannedNow = _context.RateLimiter?.Banned ?? 0,
                Health = _health,
                ReadOnlyNow = _context.ReadOnly,
                InternalErrors = _context.Counters.HandlerFaults + _context.Diagnostics.LoggerFaults,
            };
        }
    }

    /// <summary>A snapshot of the routing tables' live entries (IPv4 first, then IPv6).</summary>
    public IReadOnlyList<RoutingTableEntry> GetRoutingTable()
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            return [.. _engines.SelectMany(e => e.Routing.Snapshot(now))];
        }
    }

    /// <summary>
    /// Stops the node: saves its state when <see cref="DhtNodeOptions.StateFile"/> is set, ends
    /// pending queries as <see cref="RpcStatus.Cancelled"/>, stops announcing and closes the sockets.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        List<DhtAnnouncement> announcements;
        TaskCompletionSource? joined;
        DhtHealthChange? stopped;
        lock (_gate)
        {
            if (_context.Disposed)
            {
                return;
            }

            _context.Disposed = true;
            stopped = EvaluateHealth();
            _context.Watchers?.CompleteAll();
            _upkeep.Stop();
            _rebootstrapTimer?.Dispose();
            announcements = _announcements is null ? [] : [.. _announcements];
            _announcements?.Clear();
            joined = _joined;
            _joined = null;
        }

        foreach (DhtEngine engine in _engines)
        {
            engine.Stop();
        }

        _lifetime?.Cancel(); // read after Disposed was set under the gate: no token is handed out after this
        joined?.TrySetException(new ObjectDisposedException(nameof(DhtNode), "The node stopped before it joined."));

        foreach (DhtAnnouncement announcement in announcements)
        {
            announcement.StopTimer();
        }

        SaveState();
        _context.Outbox.Flush();
        foreach (DhtEngine engine in _engines)
        {
            await engine.Transport.DisposeAsync().ConfigureAwait(false);
        }

        DeliverHealth(stopped);
        if (_context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
        {
            Log.NodeStopped(_context.Logger, Id.ToString());
        }

        _context.Diagnostics.Dispose();
    }

    /// <summary>
    /// For the simulator's direct join: runs <paramref name="update"/> on this node's routing table of
    /// <paramref name="family"/> under the node's gate; nothing when that family does not run.
    /// </summary>
    internal void UpdateRouting(AddressFamily family, Action<Routing.RoutingTable> update)
    {
        if (EngineOf(family) is { } engine)
        {
            lock (_gate)
            {
                update(engine.Routing);
            }
        }
    }

    /// <summary>The engine of <paramref name="family"/>, or null when that family does not run.</summary>
    private DhtEngine? EngineOf(AddressFamily family)
    {
        foreach (DhtEngine engine in _engines)
        {
            if (engine.Family == family)
            {
                return engine;
            }
        }

        return null;
    }

    private static IDatagramTransport Checked(IDatagramTransport transport, AddressFamily family)
    {
        ArgumentNullException.ThrowIfNull(transport);
        IPEndPoint local = transport.LocalEndPoint;
        bool v4 = CompactFormat.IsV4(local.Address);
        if (v4 != (family == AddressFamily.InterNetwork))
        {
            throw new ArgumentException($"The {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} transport's endpoint {local} is not of that family.", nameof(transport));
        }

        return transport;
    }
}
