using System.Net;

namespace MainlineDht.Transport;

/// <summary>
/// A network of in-memory transports for tests: datagrams between endpoints are delivered after a
/// latency on the network's <see cref="TimeProvider"/>, possibly lost, never synchronously inside
/// the sender's call. With a virtual clock every delivery is deterministic.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly Dictionary<IPEndPoint, InMemoryTransport> _endpoints = [];
    private readonly Lock _gate = new();
    private readonly Random _random;

    /// <summary>Creates a network on <paramref name="timeProvider"/> with randomness from <paramref name="random"/>.</summary>
    public InMemoryNetwork(TimeProvider timeProvider, Random random)
    {
        TimeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The clock deliveries are scheduled on.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The one-way latency of a datagram; the default is one millisecond.</summary>
    public Func<IPEndPoint, IPEndPoint, TimeSpan> Latency { get; set; } = static (_, _) => TimeSpan.FromMilliseconds(1);

    /// <summary>The probability that a datagram is lost (0 to 1).</summary>
    public double LossRate { get; set; }

    /// <summary>Datagrams handed to the network.</summary>
    public long Sent { get; private set; }

    /// <summary>Datagrams delivered to a receiver.</summary>
    public long Delivered { get; private set; }

    /// <summary>Creates a transport at <paramref name="endPoint"/>.</summary>
    /// <exception cref="InvalidOperationException">The endpoint is in use.</exception>
    public InMemoryTransport CreateTransport(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_gate)
        {
            if (_endpoints.ContainsKey(endPoint))
            {
                throw new InvalidOperationException($"{endPoint} is already in use.");
            }

            var transport = new InMemoryTransport(this, endPoint);
            _endpoints.Add(endPoint, transport);
            return transport;
        }
    }

    internal void Remove(InMemoryTransport transport)
    {
        lock (_gate)
        {
            _endpoints.Remove(transport.LocalEndPoint);
        }
    }

    internal bool Send(InMemoryTransport from, ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        TimeSpan latency;
        lock (_gate)
        {
            Sent++;
            if (LossRate > 0 && _random.NextDouble() < LossRate)
            {
                return true;
            }

            latency = Latency(from.LocalEndPoint, destination);
        }

        var delivery = new Delivery(this, datagram.ToArray(), from.LocalEndPoint, destination);
        delivery.Schedule(latency);
        return true;
    }

    private void Deliver(Delivery delivery)
    {
        InMemoryTransport? target;
        lock (_gate)
        {
            if (!_endpoints.TryGetValue(delivery.Destination, out target) || target.Receiver is null)
            {
                return;
            }

            Delivered++;
        }

        target.Receiver.OnDatagram(delivery.Data, delivery.Source);
    }

    private sealed class Delivery(InMemoryNetwork network, byte[] data, IPEndPoint source, IPEndPoint destination)
    {
        private ITimer? _timer;

        public byte[] Data { get; } = data;

        public IPEndPoint Source { get; } = source;

        public IPEndPoint Destination { get; } = destination;

        public void Schedule(TimeSpan latency) =>
            _timer = network.TimeProvider.CreateTimer(static s => ((Delivery)s!).Fire(), this, latency, Timeout.InfiniteTimeSpan);

        private void Fire()
        {
            _timer?.Dispose();
            network.Deliver(this);
        }
    }
}

/// <summary>One endpoint of an <see cref="InMemoryNetwork"/>.</summary>
public sealed class InMemoryTransport : IDatagramTransport
{
    private readonly InMemoryNetwork _network;
    private bool _closed;

    internal InMemoryTransport(InMemoryNetwork network, IPEndPoint endPoint)
    {
        _network = network;
        LocalEndPoint = endPoint;
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint { get; }

    internal IDatagramReceiver? Receiver { get; private set; }

    /// <inheritdoc/>
    public void Start(IDatagramReceiver receiver) => Receiver = receiver ?? throw new ArgumentNullException(nameof(receiver));

    /// <inheritdoc/>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination) =>
        !Volatile.Read(ref _closed) && _network.Send(this, datagram, destination);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _closed, true);
        _network.Remove(this);
        return ValueTask.CompletedTask;
    }
}
