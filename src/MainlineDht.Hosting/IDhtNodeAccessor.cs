namespace MainlineDht.Hosting;

/// <summary>
/// Gives the application the node that the hosted service runs. Inject it anywhere; the node
/// itself exists only while the host runs: it is created when the host starts and disposed when
/// the host stops, so await <see cref="GetNodeAsync"/> or <see cref="GetJoinedNodeAsync"/> rather
/// than expecting it at construction time.
/// </summary>
/// <example>
/// <code>
/// public sealed class Finder(IDhtNodeAccessor dht) : BackgroundService
/// {
///     protected override async Task ExecuteAsync(CancellationToken stoppingToken)
///     {
///         DhtNode node = await dht.GetJoinedNodeAsync(stoppingToken);
///         PeerLookupResult result = await node.LookupPeersAsync(infoHash, stoppingToken);
///     }
/// }
/// </code>
/// </example>
public interface IDhtNodeAccessor
{
    /// <summary>The running node, or null before the host has started it and after the host stopped it.</summary>
    DhtNode? Node { get; }

    /// <summary>
    /// The node once it is bound and serving (it may still be joining the network).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">The host stopped before or after starting the node.</exception>
    /// <exception cref="Exception">The node failed to start (for example its port is in use): that exception.</exception>
    Task<DhtNode> GetNodeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The node once it has joined: a join left at least one node in its routing table. While no
    /// bootstrap node answers, the hosted service keeps trying, so this may take long or never
    /// complete; pass a <paramref name="cancellationToken"/> that bounds the wait.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">The host stopped before the node joined.</exception>
    /// <exception cref="Exception">The node failed to start: that exception.</exception>
    Task<DhtNode> GetJoinedNodeAsync(CancellationToken cancellationToken = default);
}
