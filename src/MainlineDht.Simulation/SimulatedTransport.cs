using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.Simulation;

/// <summary>A node's port onto the simulated network: sends go to the network, deliveries come from the clock.</summary>
internal sealed class SimulatedTransport(SimulatedNetwork network, int index, IPEndPoint endPoint) : IDatagramTransport, IDeliveryTarget
{
    public IPEndPoint LocalEndPoint { get; } = endPoint;

    public int Index { get; } = index;

    public IDatagramReceiver? Receiver { get; private set; }

    public bool Closed { get; private set; }

    public void Start(IDatagramReceiver receiver) => Receiver = receiver ?? throw new ArgumentNullException(nameof(receiver));

    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination) =>
        !Closed && network.Send(Index, datagram, destination);

    public void Deliver(ReadOnlyMemory<byte> datagram, int source) => network.Deliver(this, datagram, source);

    public ValueTask DisposeAsync()
    {
        Closed = true;
        return ValueTask.CompletedTask;
    }
}
