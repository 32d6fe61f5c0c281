using System.Net;

namespace MainlineDht.Transport;

/// <summary>Receives the datagrams a transport delivers.</summary>
public interface IDatagramReceiver
{
    /// <summary>
    /// Handles one datagram. <paramref name="datagram"/> is only valid during the call (the
    /// transport reuses its buffer); implementations must not throw.
    /// </summary>
    void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source);
}

/// <summary>
/// The port between a DHT node and the network: UDP for real (<see cref="UdpTransport"/>), an
/// in-memory network for tests and simulation (<c>MainlineDht.Simulation</c>'s <c>InMemoryNetwork</c>
/// and <c>SimulatedNetwork</c>).
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>The local endpoint datagrams arrive at.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts delivering received datagrams to <paramref name="receiver"/>.</summary>
    void Start(IDatagramReceiver receiver);

    /// <summary>
    /// Sends one datagram without blocking. Returns false when it was not sent: the destination is
    /// refused by the <see cref="SendPolicy"/>, the transport is closed, or the socket refused it.
    /// </summary>
    bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination);
}

/// <summary>
/// Decides which destinations a transport may send to. The default allows every address; tests
/// install <see cref="LoopbackOnly"/> so that a datagram bound anywhere else is refused and reported.
/// </summary>
public sealed class SendPolicy
{
    private readonly Func<IPAddress, bool> _allow;
    private readonly Action<IPEndPoint>? _onRefused;

    /// <summary>Creates a policy from a predicate and an optional callback for refused destinations.</summary>
    public SendPolicy(Func<IPAddress, bool> allow, Action<IPEndPoint>? onRefused = null)
    {
        _allow = allow ?? throw new ArgumentNullException(nameof(allow));
        _onRefused = onRefused;
    }

    /// <summary>Allows every destination.</summary>
    public static SendPolicy AllowAll { get; } = new(static _ => true);

    /// <summary>Allows only 127.0.0.0/8 and ::1; <paramref name="onRefused"/> hears of every other destination.</summary>
    public static SendPolicy LoopbackOnly(Action<IPEndPoint>? onRefused = null) => new(IPAddress.IsLoopback, onRefused);

    /// <summary>Whether <paramref name="destination"/> may be sent to, without reporting a refusal (the node's log asks after the fact).</summary>
    internal bool Permits(IPEndPoint destination)
    {
        IPAddress address = destination.Address.IsIPv4MappedToIPv6 ? destination.Address.MapToIPv4() : destination.Address;
        return _allow(address);
    }

    /// <summary>True when <paramref name="destination"/> may be sent to; otherwise reports it and returns false.</summary>
    public bool Allows(IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        IPAddress address = destination.Address.IsIPv4MappedToIPv6 ? destination.Address.MapToIPv4() : destination.Address;
        if (_allow(address))
        {
            return true;
        }

        _onRefused?.Invoke(destination);
        return false;
    }
}
