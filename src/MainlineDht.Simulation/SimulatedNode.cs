using System.Net;

namespace MainlineDht.Simulation;

/// <summary>
/// One node of a <see cref="SimulatedNetwork"/>: a real <see cref="DhtNode"/> on a simulated
/// transport, and the network conditions that apply to it.
/// </summary>
public sealed class SimulatedNode
{
    internal SimulatedNode(int index, DhtNode node, SimulatedTransport transport)
    {
        Index = index;
        Node = node;
        Transport = transport;
    }

    /// <summary>The node's position in <see cref="SimulatedNetwork.Nodes"/>.</summary>
    public int Index { get; }

    /// <summary>The DHT node itself.</summary>
    public DhtNode Node { get; }

    /// <summary>The node's virtual address (in 127.0.0.0/8; no socket is ever opened).</summary>
    public IPEndPoint EndPoint => Transport.LocalEndPoint;

    /// <summary>
    /// The <c>host:port</c> name the nodes joining through this one are given, made once: every
    /// newcomer that picks it shares the string (three of ~56 bytes a node otherwise).
    /// </summary>
    internal string ContactName => _contactName ??= EndPoint.ToString();

    private string? _contactName;

    /// <summary>False once the node left the network (<see cref="SimulatedNetwork.Remove"/>).</summary>
    public bool IsOnline => !Transport.Closed;

    /// <summary>
    /// False makes the node unresponsive, as behind a firewall or NAT that drops unsolicited
    /// datagrams: every query sent to it is dropped, so it never answers, while replies to its own
    /// queries still reach it (it can join and look up). Default true.
    /// </summary>
    public bool IsResponsive { get; set; } = true;

    /// <summary>
    /// The side of a partition the node is on: datagrams pass only between nodes with the same
    /// value. Default 0 (everyone together).
    /// </summary>
    public int Partition { get; set; }

    /// <summary>True once the node's <see cref="DhtNode.JoinAsync"/> completed in <see cref="SimulatedNetwork.Populate"/>.</summary>
    public bool HasJoined { get; internal set; }

    internal SimulatedTransport Transport { get; }

    /// <summary>
    /// An adversary's hand on the node's datagrams: given each datagram before the node, it returns
    /// true when it handled it (answered it its own way) and the node is not to see it.
    /// </summary>
    internal Func<ReadOnlyMemory<byte>, System.Net.IPEndPoint, bool>? Intercept { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"#{Index} {EndPoint} {Node.Id}";
}
