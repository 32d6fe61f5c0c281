namespace MainlineDht;

/// <summary>
/// How a node is doing, as a user would ask it (<see cref="DhtNode.Health"/>). The rules, checked in
/// this order when the node's upkeep runs (every 30 s), after a datagram (at most once a second),
/// after each bootstrap and at stop:
/// <list type="number">
/// <item><see cref="Stopped"/>: the node was disposed.</item>
/// <item><see cref="Bootstrapping"/>: no routing table holds a live node (not yet joined, or every node went away; the node bootstraps again by itself).</item>
/// <item><see cref="Firewalled"/>: our queries are answered (the tables hold live nodes), but no query has reached us for <see cref="DhtNodeOptions.FirewalledAfter"/> since we joined (or since the last one came, or since the node last left read-only). Only a node on the public internet (bound to a public address, or voted one by BEP 42) can be firewalled: a node of a loopback or LAN swarm may rightly hear nothing for a while; nor can a node read-only by its options.</item>
/// <item><see cref="Ready"/>: at least K = 8 good nodes (answered within 15 minutes) over both tables.</item>
/// <item><see cref="Degraded"/>: otherwise: live nodes, but fewer than 8 good ones (lookups work, but may miss).</item>
/// </list>
/// </summary>
public enum DhtHealth
{
    /// <summary>No live node in the routing tables: joining, or joining again.</summary>
    Bootstrapping,

    /// <summary>At least 8 good nodes, and queries reach us.</summary>
    Ready,

    /// <summary>Live nodes, but fewer than 8 good ones.</summary>
    Degraded,

    /// <summary>
    /// Our queries are answered but nobody's reach us: behind a NAT or firewall that drops unsolicited
    /// datagrams. With <see cref="DhtNodeOptions.ReadOnlyWhenFirewalled"/> the node then runs BEP 43
    /// read-only until a query reaches it.
    /// </summary>
    Firewalled,

    /// <summary>The node was disposed.</summary>
    Stopped,
}

/// <summary>What <see cref="DhtNode.HealthChanged"/> tells.</summary>
/// <param name="Previous">The health before.</param>
/// <param name="Current">The health now.</param>
/// <param name="Reason">Why, in one line (for example "12 good nodes").</param>
public sealed record DhtHealthChange(DhtHealth Previous, DhtHealth Current, string Reason);
