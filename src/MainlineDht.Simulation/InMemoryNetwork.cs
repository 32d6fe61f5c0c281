using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.Simulation;

/// <summary>
/// A datagram network in memory, on a <see cref="VirtualTimeProvider"/>: transports at any
/// endpoints you choose, each datagram delivered after a latency you choose (or lost), never inside
/// the sender's call. For tests of code that runs a few <see cref="DhtNode"/>s, or speaks KRPC
/// itself, on virtual time; <see cref="SimulatedNetwork"/> builds whole DHTs on the same clock.
/// </summary>
/// <remarks>
/// <para>
/// Nothing moves until the clock is run (<see cref="VirtualTimeProvider.Advance"/>,
/// <see cref="VirtualTimeProvider.RunUntil"/>); then deliveries and the nodes' timers run in order
/// on the calling thread, and a run with the same seed and calls is the same every time.
/// </para>
/// <para>
/// A datagram goes to the transport that holds its destination endpoint when it is sent; it is
/// dropped when there is none (as UDP to an address nobody holds) or when that transport is
/// disposed before the datagram arrives. No socket is ever opened.
/// </para>
/// </remarks>
public sealed class InMemoryNetwork
{
    private readonly Dictionary<IPEndPoint, InMemoryTransport> _endpoints = [];
    private readonly List<InMemoryTransport> _transports = [];
    private readonly Lock _gate = new();
    private readonly Random _random;
    private double _lossRate;

    /// <summary>Creates a network on <paramref name="clock"/> that draws losses from <paramref name="random"/>.</summary>
    public InMemoryNetwork(VirtualTimeProvider clock, Random random)
    {
        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The clock deliveries are scheduled on; nodes started with <see cref="StartNode"/> use it too.</summary>
    public VirtualTimeProvider Clock { get; }

    /// <summary>
    /// The one-way latency of a datagram from the first endpoint to the second, asked once per
    /// datagram; the default is one millisecond.
    /// </summary>
    public Func<IPEndPoint, IPEndPoint, TimeSpan> Latency { get; set; } = static (_, _) => TimeSpan.FromMilliseconds(1);

    /// <summary>The probability that a datagram is lost, from 0 (the default) to 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0 to 1.</exception>
    public double LossRate
    {
        get => _lossRate;
        set
        {
            if (!(value is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "LossRate must be from 0 to 1.");
            }

            _lossRate = value;
        }
    }

    /// <summary>Datagrams handed to the network.</summary>
    public long Sent { get; private set; }

    /// <summary>Datagrams lost at random (<see cref="LossRate"/>).</summary>
    public long Lost { get; private set; }

    /// <summary>Datagrams delivered to a receiver.</summary>
    public long Delivered { get; private set; }

    /// <summary>
    /// Creates a transport at <paramref name="endPoint"/> that sends only where
    /// <paramref name="policy"/> allows (default everywhere; the network delivers only to its own
    /// endpoints anyway).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another transport of this network holds the endpoint.</exception>
    public InMemoryTransport CreateTransport(IPEndPoint endPoint, SendPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            if (_endpoints.ContainsKey(endPoint))
            {
                throw new InvalidOperationException($"{endPoint} is already in use.");
            }

            var transport = new InMemoryTransport(this, _transports.Count, endPoint, policy ?? SendPolicy.AllowAll);
            _endpoints.Add(endPoint, transport);
            _transports.Add(transport);
            return transport;
        }
    }

    /// <summary>
    /// Creates a node at <paramref name="options"/>' <see cref="DhtNodeOptions.BindEndPoint"/> (and
    /// <see cref="DhtNodeOptions.BindEndPointV6"/>, when set: a dual-stack node), on
    /// this network and its clock, and starts it (it does not join: call
    /// <see cref="DhtNode.JoinAsync"/> and run the clock). Whatever the options say, the node's
    /// <see cref="DhtNodeOptions.TimeProvider"/> is the network's <see cref="Clock"/>, it completes
    /// its tasks on the clock's thread (so that a run stays inside the clock's loop and is
    /// deterministic), and it never uses the public routers (resolving their names would be real
    /// I/O off the loop, and the network routes only its own endpoints): give it
    /// <see cref="DhtNodeOptions.BootstrapNodes"/> from this network. Its
    /// <see cref="DhtNodeOptions.SendPolicy"/> applies to its transport. Give it a seeded
    /// <see cref="DhtNodeOptions.RandomSeed"/> for a reproducible run.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="InvalidOperationException">Another transport of this network holds the endpoint.</exception>
    public DhtNode StartNode(DhtNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options with { TimeProvider = Clock, RunContinuationsInline = true, UsePublicRouters = false };
        options.Validate();
        (IPEndPoint? v4, IPEndPoint? v6) = options.EndPoints;
        InMemoryTransport? transport = v4 is null ? null : CreateTransport(v4, options.SendPolicy);
        InMemoryTransport? transportV6 = null;
        DhtNode node;
        try
        {
            transportV6 = v6 is null ? null : CreateTransport(v6, options.SendPolicy);
            node = transport is not null && transportV6 is not null
                ? new DhtNode(options, transport, transportV6)
                : new DhtNode(options, (transport ?? transportV6)!);
        }
        catch
        {
            // The endpoints are free again for a corrected attempt.
            if (transport is not null)
            {
                Remove(transport);
            }

            if (transportV6 is not null)
            {
                Remove(transportV6);
            }

            throw;
        }

        node.Start();
        return node;
    }

    internal void Remove(InMemoryTransport transport)
    {
        lock (_gate)
        {
            if (_endpoints.TryGetValue(transport.LocalEndPoint, out InMemoryTransport? current) && ReferenceEquals(current, transport))
            {
                _endpoints.Remove(transport.LocalEndPoint);
            }
        }
    }

    internal void Send(InMemoryTransport from, ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        InMemoryTransport? target;
        TimeSpan latency;
        lock (_gate)
        {
            Sent++;
            if (_lossRate > 0 && _random.NextDouble() < _lossRate)
            {
                Lost++;
                return;
            }

            if (!_endpoints.TryGetValue(destination, out target))
            {
                return;
            }

            latency = Latency(from.LocalEndPoint, destination);
        }

        Clock.ScheduleDelivery(target, datagram, from.Index, latency.Ticks);
    }

    internal void Deliver(InMemoryTransport destination, ReadOnlyMemory<byte> datagram, int source)
    {
        IDatagramReceiver? receiver = destination.Receiver;
        IPEndPoint from;
        lock (_gate)
        {
            if (destination.IsClosed || receiver is null)
            {
                return;
            }

            Delivered++;
            from = _transports[source].LocalEndPoint;
        }

        receiver.OnDatagram(datagram, from);
    }
}

/// <summary>One endpoint of an <see cref="InMemoryNetwork"/>.</summary>
public sealed class InMemoryTransport : IDatagramTransport, IDeliveryTarget
{
    private readonly InMemoryNetwork _network;
    private readonly SendPolicy _policy;
    private bool _closed;

    internal InMemoryTransport(InMemoryNetwork network, int index, IPEndPoint endPoint, SendPolicy policy)
    {
        _network = network;
        Index = index;
        LocalEndPoint = endPoint;
        _policy = policy;
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint { get; }

    internal int Index { get; }

    internal IDatagramReceiver? Receiver { get; private set; }

    internal bool IsClosed => Volatile.Read(ref _closed);

    /// <inheritdoc/>
    public void Start(IDatagramReceiver receiver) => Receiver = receiver ?? throw new ArgumentNullException(nameof(receiver));

    /// <summary>
    /// Hands one datagram to the network. Returns false when it was not sent: the transport is
    /// disposed or the <see cref="SendPolicy"/> refused the destination. A datagram lost on the way
    /// counts as sent, as with UDP.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (IsClosed || !_policy.Allows(destination))
        {
            return false;
        }

        _network.Send(this, datagram, destination);
        return true;
    }

    /// <summary>Closes the endpoint: datagrams in flight to it are dropped, and the endpoint can be taken again.</summary>
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, true);
        _network.Remove(this);
        return ValueTask.CompletedTask;
    }

    void IDeliveryTarget.Deliver(ReadOnlyMemory<byte> datagram, int source) => _network.Deliver(this, datagram, source);
}
