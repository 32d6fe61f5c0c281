using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation;

/// <summary>
/// A simulated Mainline DHT: real <see cref="DhtNode"/> instances on an in-memory network, all on
/// one deterministic virtual clock. Datagrams take a latency from a <see cref="LatencyModel"/>, may
/// be lost, and are dropped on the way to nodes that left, nodes that do not answer, and nodes on
/// the other side of a partition.
/// </summary>
/// <remarks>
/// <para>
/// Nothing runs by itself: time moves only inside <see cref="RunUntil"/>, <see cref="RunFor"/> and
/// <see cref="Run{T}(Task{T}, TimeSpan?)"/>, which run every timer and delivery in order on the
/// calling thread. Start an operation (a lookup, say), then run the network until its task
/// completes. For a given <see cref="SimulatedNetworkOptions.Seed"/> and the same calls, a run is
/// identical every time: same ids, same traffic, same figures.
/// </para>
/// <para>
/// Not thread-safe: one thread builds and runs the network. Nodes get virtual addresses in
/// 127.0.0.0/8, or with <see cref="SimulatedNetworkOptions.PublicAddresses"/> public-looking ones
/// (no socket is ever opened; a datagram to any address no node holds is dropped).
/// </para>
/// </remarks>
public sealed partial class SimulatedNetwork : IAsyncDisposable
{
    /// <summary>The UDP port every simulated node listens on.</summary>
    public const int Port = 6881;

    private const uint FirstAddress = 0x7F01_0001; // 127.1.0.1
    private const uint FirstPublicAddress = 0x0B00_0001; // 11.0.0.1: node i at 11.0.0.1 + (i << 8), one /24 each
    private const int MaxPublicNodes = 89 << 16; // 11.0.0.0 to 99.255.255.0

    private readonly VirtualTimeProvider _clock;
    private readonly SimulatedNetworkOptions _options;
    private readonly Random _random;
    private readonly ReusableQueries _decodeScratch = new();
    private readonly List<SimulatedNode> _nodes = [];

    /// <summary>With public addresses (or an address given), the node index of every address; null on loopback, where the address says the index.</summary>
    private Dictionary<uint, int>? _indexByAddress;

    /// <summary>Creates an empty network.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public SimulatedNetwork(SimulatedNetworkOptions? options = null)
    {
        _options = options ?? new SimulatedNetworkOptions();
        _options.Validate();
        _clock = new VirtualTimeProvider(_options.Start);
        _random = new Random(Mix.Derive(_options.Seed, 0));
        Random = new Random(Mix.Derive(_options.Seed, 1));
    }

    /// <summary>The options the network was created with.</summary>
    public SimulatedNetworkOptions Options => _options;

    /// <summary>
    /// The virtual clock all nodes run on. <see cref="RunUntil"/>, <see cref="RunFor"/> and
    /// <see cref="Run{T}(Task{T}, TimeSpan?)"/> move it; so do its own <see cref="VirtualTimeProvider.Advance"/>
    /// and <see cref="VirtualTimeProvider.RunUntil"/>.
    /// </summary>
    public VirtualTimeProvider TimeProvider => _clock;

    /// <summary>Virtual time since the start.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// A random source derived from the seed, for the caller's own choices (which node looks up
    /// what): using it keeps a whole experiment deterministic.
    /// </summary>
    public Random Random { get; }

    /// <summary>Every node ever added, in order; nodes that left stay (with <see cref="SimulatedNode.IsOnline"/> false).</summary>
    public IReadOnlyList<SimulatedNode> Nodes => _nodes;

    /// <summary>Datagram counters since the start.</summary>
    public SimulatedNetworkStatistics Statistics => new()
    {
        DatagramsSent = _counters.DatagramsSent,
        BytesSent = _counters.BytesSent,
        Delivered = _counters.Delivered,
        Lost = _counters.Lost,
        Unroutable = _counters.Unroutable,
        DroppedOffline = _counters.DroppedOffline,
        DroppedUnresponsive = _counters.DroppedUnresponsive,
        DroppedPartitioned = _counters.DroppedPartitioned,
        PendingEvents = _clock.PendingEvents,
        EventsRun = _clock.EventsRun,
        ForeignThreadCalls = _clock.ForeignThreadCalls,
    };

    private Counters _counters;

    /// <summary>
    /// Adds a node and starts it (it does not join: call <see cref="DhtNode.JoinAsync"/> and run the
    /// network, or use <see cref="Populate"/>).
    /// </summary>
    /// <param name="bootstrap">The nodes it will join through; default none.</param>
    /// <param name="configure">Adjusts this node's options after <see cref="SimulatedNetworkOptions.ConfigureNode"/>.</param>
    public SimulatedNode AddNode(IEnumerable<SimulatedNode>? bootstrap = null, Func<DhtNodeOptions, DhtNodeOptions>? configure = null) =>
        AddNode(bootstrap, configure, address: null);

    /// <summary><see cref="AddNode(IEnumerable{SimulatedNode}?, Func{DhtNodeOptions, DhtNodeOptions}?)"/> at <paramref name="address"/> (an adversary's range) instead of the next free one.</summary>
    internal SimulatedNode AddNode(IEnumerable<SimulatedNode>? bootstrap, Func<DhtNodeOptions, DhtNodeOptions>? configure, IPAddress? address)
    {
        int index = _nodes.Count;
        if (index >= (_options.PublicAddresses ? MaxPublicNodes : MaxNodes))
        {
            throw new InvalidOperationException($"A simulated network holds at most {(_options.PublicAddresses ? MaxPublicNodes : MaxNodes)} nodes.");
        }

        uint value = address is not null ? ToUInt32(address)
            : _options.PublicAddresses ? FirstPublicAddress + ((uint)index << 8)
            : FirstAddress + (uint)index;
        if (address is not null || _options.PublicAddresses)
        {
            _indexByAddress ??= AllIndexes();
            if (!_indexByAddress.TryAdd(value, index))
            {
                throw new InvalidOperationException($"{address} is already a node's address.");
            }
        }

        var endPoint = new IPEndPoint(new IPAddress(BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value), Port);
        string[] contacts = bootstrap is null ? [] : [.. bootstrap.Select(c => c.ContactName)];

        var options = new DhtNodeOptions
        {
            BindEndPoint = endPoint,
            BootstrapNodes = contacts,
            UsePublicRouters = false,
            RandomSeed = Mix.Derive(_options.Seed, 2 + (ulong)index),
            // Every simulated node has its own address: a per-IP limit would only cost memory.
            QueriesPerSecondPerIp = 0,
            // Virtual time packs a whole DHT's growth into seconds: the first nodes answer thousands
            // of joins a virtual second, which no reply byte budget of a real node is sized for.
            ReplyBytesPerSecond = 0,
        };
        options = _options.ConfigureNode?.Invoke(options) ?? options;
        options = configure?.Invoke(options) ?? options;
        // Whatever ConfigureNode set: the network's clock, its loop, and never the public routers
        // (a name to resolve would be real I/O off the loop; the network routes only its own addresses).
        // No meter or activity source per node unless ConfigureNode gave a meter factory: memory at scale.
        // The decoder's scratch is shared: the nodes decode one datagram at a time, on the loop.
        options = options with { TimeProvider = _clock, RunContinuationsInline = true, UsePublicRouters = false, DiagnosticsOff = options.MeterFactory is null, SharedDecodeScratch = _decodeScratch };
        if (_options.PublicAddresses && options.NodeId is null)
        {
            // A node of the internet as it stands: its id is the one BEP 42 allows for its address.
            int seed = options.RandomSeed ?? index;
            options = options with { NodeId = SecureNodeId.Create(endPoint.Address, (byte)seed, new Random(seed)) };
        }

        var transport = new SimulatedTransport(this, index, endPoint);
        var node = new SimulatedNode(index, new DhtNode(options, transport), transport);
        _nodes.Add(node);
        node.Node.Start();
        return node;
    }

    /// <summary>The most nodes a network can hold: its addresses run from 127.1.0.1 to 127.255.255.254.</summary>
    public const int MaxNodes = (int)(0x7FFF_FFFEu - FirstAddress + 1);

    /// <summary>Finds the node at <paramref name="endPoint"/>; null when no simulated node has that address.</summary>
    public SimulatedNode? Find(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        int index = IndexOf(endPoint);
        return index < 0 ? null : _nodes[index];
    }

    /// <summary>
    /// Takes nodes off the network at once, as when many clients close together: each node is
    /// disposed (its pending queries end as cancelled) and datagrams to it are dropped from then on.
    /// </summary>
    public void Remove(IEnumerable<SimulatedNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (SimulatedNode node in nodes)
        {
            ValueTask dispose = node.Node.DisposeAsync();
            if (!dispose.IsCompleted)
            {
                throw new InvalidOperationException("A simulated node's disposal should complete at once.");
            }

            dispose.GetAwaiter().GetResult();
        }
    }

    /// <summary>Puts every node back on one side: partitions end.</summary>
    public void Heal()
    {
        foreach (SimulatedNode node in _nodes)
        {
            node.Partition = 0;
        }
    }

    /// <summary>
    /// Runs the network until <paramref name="condition"/> holds or <paramref name="limit"/> of
    /// virtual time passed. Returns whether the condition holds.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit)
    {
        return _clock.RunUntil(condition, limit);
    }

    /// <summary>Runs the network for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(TimeSpan duration)
    {
        _clock.Advance(duration);
    }

    /// <summary>Runs the network until <paramref name="task"/> completes and returns its result.</summary>
    /// <exception cref="TimeoutException">The task did not complete within <paramref name="limit"/> of virtual time (default 10 minutes).</exception>
    public T Run<T>(Task<T> task, TimeSpan? limit = null)
    {
        Run((Task)task, limit);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs the network until <paramref name="task"/> completes.</summary>
    /// <exception cref="TimeoutException">The task did not complete within <paramref name="limit"/> of virtual time (default 10 minutes).</exception>
    public void Run(Task task, TimeSpan? limit = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        TimeSpan max = limit ?? TimeSpan.FromMinutes(10);
        if (!RunUntil(() => task.IsCompleted, max))
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"The task did not complete within {max.TotalSeconds:0.###} s of virtual time (now {Elapsed.TotalSeconds:0.###} s)."));
        }

        task.GetAwaiter().GetResult();
    }

    /// <summary>Stops every node still online.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (SimulatedNode node in _nodes)
        {
            await node.Node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal bool Send(int source, ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        _counters.DatagramsSent++;
        _counters.BytesSent += datagram.Length;
        int target = IndexOf(destination);
        if (target < 0)
        {
            // As UDP to an address nobody holds: sent, never answered.
            _counters.Unroutable++;
            return true;
        }

        if (_options.LossRate > 0 && _random.NextDouble() < _options.LossRate)
        {
            _counters.Lost++;
            return true;
        }

        TimeSpan delay = _options.Latency.GetDelay(source, target, _options.Seed, _random);
        _clock.ScheduleDelivery(_nodes[target].Transport, datagram, source, delay.Ticks);
        return true;
    }

    /// <summary>The index of every node so far, by address (when the first node with an address of its own comes to a loopback network).</summary>
    private Dictionary<uint, int> AllIndexes()
    {
        var indexes = new Dictionary<uint, int>(_nodes.Count + 1);
        foreach (SimulatedNode node in _nodes)
        {
            indexes.Add(ToUInt32(node.EndPoint.Address), node.Index);
        }

        return indexes;
    }

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int length) || length != 4)
        {
            throw new ArgumentException($"A simulated node's address is IPv4, not {address}.", nameof(address));
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    internal void Deliver(SimulatedTransport destination, ReadOnlyMemory<byte> datagram, int source)
    {
        SimulatedNode to = _nodes[destination.Index];
        SimulatedNode from = _nodes[source];
        if (to.Intercept is { } intercept && !destination.Closed && to.Partition == from.Partition && intercept(datagram, from.EndPoint))
        {
            _counters.Delivered++;
        }
        else if (destination.Closed || destination.Receiver is null)
        {
            _counters.DroppedOffline++;
        }
        else if (!to.IsResponsive && IsQuery(datagram.Span))
        {
            _counters.DroppedUnresponsive++;
        }
        else if (to.Partition != from.Partition)
        {
            _counters.DroppedPartitioned++;
        }
        else
        {
            _counters.Delivered++;
            destination.Receiver.OnDatagram(datagram, from.EndPoint);
        }
    }

    /// <summary>
    /// Whether a datagram is a KRPC query: the nodes write dictionary keys sorted, so <c>y</c> is the
    /// last key and a query ends with <c>1:y1:qe</c>.
    /// </summary>
    private static bool IsQuery(ReadOnlySpan<byte> datagram) => datagram.EndsWith("1:y1:qe"u8);

    private struct Counters
    {
        public long DatagramsSent, BytesSent, Delivered, Lost, Unroutable, DroppedOffline, DroppedUnresponsive, DroppedPartitioned;
    }

    private int IndexOf(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (endPoint.Port != Port || !endPoint.Address.TryWriteBytes(bytes, out int length))
        {
            return -1;
        }

        uint address = length switch
        {
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            16 when endPoint.Address.IsIPv4MappedToIPv6 => BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]),
            _ => 0,
        };
        if (_indexByAddress is not null)
        {
            return _indexByAddress.TryGetValue(address, out int found) ? found : -1;
        }

        long index = (long)address - FirstAddress;
        return index >= 0 && index < _nodes.Count ? (int)index : -1;
    }
}

/// <summary>What a <see cref="SimulatedNetwork"/> did with the datagrams it was given.</summary>
public sealed record SimulatedNetworkStatistics
{
    /// <summary>Datagrams nodes sent.</summary>
    public long DatagramsSent { get; init; }

    /// <summary>Bytes nodes sent.</summary>
    public long BytesSent { get; init; }

    /// <summary>Datagrams delivered to a node.</summary>
    public long Delivered { get; init; }

    /// <summary>Datagrams lost at random (<see cref="SimulatedNetworkOptions.LossRate"/>).</summary>
    public long Lost { get; init; }

    /// <summary>Datagrams to an address no simulated node holds.</summary>
    public long Unroutable { get; init; }

    /// <summary>Datagrams to a node that had left.</summary>
    public long DroppedOffline { get; init; }

    /// <summary>Datagrams to an unresponsive node.</summary>
    public long DroppedUnresponsive { get; init; }

    /// <summary>Datagrams across a partition.</summary>
    public long DroppedPartitioned { get; init; }

    /// <summary>Events (timers and deliveries) waiting.</summary>
    public int PendingEvents { get; init; }

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; init; }

    /// <summary>
    /// Calls into the virtual clock from another thread while the network ran: a continuation that
    /// escaped the event loop. Zero in a deterministic run.
    /// </summary>
    public long ForeignThreadCalls { get; init; }
}
