using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;
using MainlineDht.Transport;

namespace MainlineDht.Node;

/// <summary>
/// One address family of a node (BEP 32: a node runs one per socket, libtorrent's <c>node</c> per
/// listen socket): its transport, its routing table, its RPC client, its query dispatcher and its
/// BEP 42 external-address vote. Engines of one node share its gate, id and storage
/// (<see cref="NodeContext"/>).
/// </summary>
/// <remarks>
/// The datagram path: the transport calls <see cref="OnDatagram"/>, which decodes the datagram once
/// and asks the per-IP limit about a query (both outside the gate: several receiving threads do this
/// at once), then under the gate hands a query to the <see cref="QueryDispatcher"/> (handler, reply, routing
/// table) or a reply to the <see cref="RpcClient"/> (transaction, routing table, awaiting caller);
/// once the gate is released, what was sent leaves through the outbox and the awaiting caller is
/// completed. Routing upkeep is in <c>DhtEngine.Routing.cs</c>, the lookups' view in <c>DhtEngine.Lookups.cs</c>.
/// </remarks>
internal sealed partial class DhtEngine : IDatagramReceiver
{
    private readonly NodeContext _node;
    private readonly IEngineHost _host;
    private readonly QueryDispatcher _dispatcher;
    private readonly ExternalAddressVote _externalAddress = new();

    /// <summary>The queries the decoder refills (see <see cref="OnDatagram"/>); the engine's own, or shared (<see cref="DhtNodeOptions.SharedDecodeScratch"/>).</summary>
    private readonly ReusableQueries _reusable;

    /// <summary>This family's gauges (routing table size, queries in flight), written as they change.</summary>
    private readonly Diagnostics.FamilyGauges _gauges;

    /// <summary>The vote's leader, for readers outside the gate (the junk filter).</summary>
    private volatile IPAddress? _externalSnapshot;

    public DhtEngine(NodeContext node, IDatagramTransport transport, IEngineHost host)
    {
        _node = node;
        _host = host;
        _reusable = node.Options.SharedDecodeScratch ?? new();
        Transport = transport;
        Family = transport.LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && !transport.LocalEndPoint.Address.IsIPv4MappedToIPv6
            ? AddressFamily.InterNetworkV6
            : AddressFamily.InterNetwork;
        var routing = new RoutingTableOptions { IpDiversity = node.Options.IpDiversity, EnforceNodeIds = node.Options.EnforceNodeIds };
        Routing = new RoutingTable(node.Id, Family, routing == RoutingTableOptions.Default ? RoutingTableOptions.Default : routing); // the shared one when it is the default
        _gauges = Family == AddressFamily.InterNetworkV6 ? node.Metrics.V6 : node.Metrics.V4;
        _gauges.Running = true;
        Rpc = new RpcClient(transport, node.Outbox, node.Gate, node.Time, node.Random, this, node.Options.MaxOutstandingQueries, node.Options.QueryTimeout, node.Options.RunContinuationsInline)
        {
            Metrics = node.Metrics,
            Gauges = _gauges,
        };
        _dispatcher = new QueryDispatcher(node, this, transport);
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>: the family of the transport's endpoint.</summary>
    public AddressFamily Family { get; }

    public IDatagramTransport Transport { get; }

    /// <summary>This family's routing table (under the gate).</summary>
    public RoutingTable Routing { get; }

    /// <summary>This family's queries in flight (under the gate, except its own public methods).</summary>
    public RpcClient Rpc { get; }

    /// <summary>BEP 42: our external address in this family as most repliers report it (under the gate).</summary>
    public IPAddress? ExternalAddress => _externalAddress.Leader;

    /// <summary>BEP 42: the external address once replies from several distinct ranges agree on it (under the gate); null before.</summary>
    public IPAddress? SettledExternalAddress { get; private set; }

    /// <summary>Whether <paramref name="endPoint"/> is an address of this engine's family (an IPv4-mapped address is IPv4).</summary>
    public static AddressFamily FamilyOf(IPEndPoint endPoint) => CompactFormat.IsV4(endPoint.Address) ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>Starts receiving.</summary>
    public void Start() => Transport.Start(this);

    /// <summary>Ends the queries in flight (outside the gate).</summary>
    public void Stop() => Rpc.Stop();

    /// <summary>One datagram from the transport (its buffer is only valid during the call).</summary>
    public void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        // A ping, find_node or get_peers query is decoded into the engine's reusable instances when
        // no other thread holds them: answering it allocates nothing. The query is done with once
        // the gate is released, before anything is sent (a send may deliver a datagram back to this
        // engine at once, on an in-memory network).
        bool reusing = _reusable.TryTake();
        bool handled;
        RpcCompletion completion;
        FaultReport? fault;
        try
        {
            handled = Handle(datagram, source, reusing ? _reusable : null, out completion, out fault);
        }
        finally
        {
            if (reusing)
            {
                _reusable.Return();
            }
        }

        if (!handled)
        {
            return;
        }

        // What was sent from under the gate leaves now; then the awaiting caller of a reply hears of it.
        _node.Outbox.Flush();
        completion.Deliver();
        _node.LogFault(fault);

        _host.AfterDatagram();
    }

    /// <summary>Decodes the datagram and handles it under the gate; false when the node is disposed (nothing was done).</summary>
    private bool Handle(ReadOnlyMemory<byte> datagram, IPEndPoint source, ReusableQueries? reuse, out RpcCompletion completion, out FaultReport? fault)
    {
        // Decoding touches no state: it runs before the gate is taken, once; a reply is built over a
        // copy of the datagram (the transport reuses its buffer; the awaiting caller keeps the reply).
        bool decoded = KrpcCodec.TryDecodeOwningReplies(datagram, reuse, out KrpcMessage? message, out KrpcDecodeError error);

        // So does the per-IP limit (its buckets are its own, under its own lock).
        QueryAdmission admission = decoded && message is KrpcQuery ? _dispatcher.Admit(source) : QueryAdmission.Allowed;
        fault = null;
        completion = default;
        lock (_node.Gate)
        {
            if (_node.Disposed)
            {
                return false;
            }

            _node.Counters.DatagramsReceived++;
            _node.Metrics.DatagramReceived();
            try
            {
                if (!decoded)
                {
                    _dispatcher.OnMalformed(error, source, datagram.Length);
                }
                else if (message is KrpcQuery query)
                {
                    _dispatcher.Dispatch(query, source, datagram.Length, admission);
                }
                else
                {
                    completion = Rpc.OnReply(message!, source);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug in a handler must not stop the node: it is counted, and the first fault at each
                // site is reported, once the gate is released (the callback must not run under it).
                fault = _node.NoteFault(e, $"handling a datagram from {source}");
            }

            _gauges.RoutingNodes = Routing.Count;
        }

        return true;
    }
}
