using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Support;

/// <summary>
/// An in-memory transport that sends through a <see cref="SendPolicy"/> as a UDP transport does
/// (a refused destination is reported to the policy and never reaches the network) and records
/// every datagram the node tried to send, in order, with the virtual time it was sent at.
/// </summary>
public sealed class PolicedTransport(IDatagramTransport inner, SendPolicy policy, TimeProvider time) : IDatagramTransport
{
    private readonly Lock _gate = new();
    private readonly List<Send> _sends = [];

    /// <summary>One datagram the node tried to send.</summary>
    public sealed record Send(TimeSpan At, IPEndPoint Destination, byte[] Datagram, bool Allowed);

    /// <summary>Every send tried so far, in order.</summary>
    public IReadOnlyList<Send> Sends
    {
        get
        {
            lock (_gate)
            {
                return [.. _sends];
            }
        }
    }

    /// <inheritdoc/>
    public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

    /// <inheritdoc/>
    public void Start(IDatagramReceiver receiver) => inner.Start(receiver);

    /// <inheritdoc/>
    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        bool allowed = policy.Allows(destination);
        lock (_gate)
        {
            _sends.Add(new Send(time.GetElapsedTime(0), destination, datagram.ToArray(), allowed));
        }

        return allowed && inner.TrySend(datagram, destination);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
