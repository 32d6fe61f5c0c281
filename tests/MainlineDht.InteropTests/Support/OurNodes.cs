using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>Starts our own nodes the way every interop test wants them: loopback, guarded, no public routers.</summary>
public static class OurNodes
{
    /// <summary>
    /// Starts one of our nodes on <paramref name="address"/> (an ephemeral port), joining through
    /// <paramref name="bootstrap"/> when <see cref="DhtNode.JoinAsync"/> is called.
    /// </summary>
    public static Task<DhtNode> StartAsync(IPAddress address, params IPEndPoint[] bootstrap) => StartAsync(address, null, bootstrap);

    /// <summary>As <see cref="StartAsync(IPAddress, IPEndPoint[])"/>, with the node id <paramref name="id"/> (null: a random one).</summary>
    public static Task<DhtNode> StartAsync(IPAddress address, NodeId? id, params IPEndPoint[] bootstrap) =>
        DhtNode.StartAsync(new DhtNodeOptions
        {
            NodeId = id,
            BindEndPoint = new IPEndPoint(address, 0),
            BootstrapNodes = bootstrap.Select(e => e.ToString()).ToList(),
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueryTimeout = TimeSpan.FromSeconds(3),
        });

    /// <summary>
    /// Starts one of our nodes dual-stack (BEP 32): on <paramref name="address"/> and on <c>[::1]</c>
    /// (ephemeral ports), joining through <paramref name="bootstrap"/> (either family). Every IPv6 node
    /// shares <c>::1</c>, so its per-IP rate limit is off.
    /// </summary>
    public static Task<DhtNode> StartDualStackAsync(IPAddress address, NodeId? id, params IPEndPoint[] bootstrap) =>
        DhtNode.StartAsync(new DhtNodeOptions
        {
            NodeId = id,
            BindEndPoint = new IPEndPoint(address, 0),
            BindEndPointV6 = new IPEndPoint(LoopbackAddresses.IPv6, 0),
            BootstrapNodes = bootstrap.Select(e => e.ToString()).ToList(),
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueryTimeout = TimeSpan.FromSeconds(3),
            QueriesPerSecondPerIp = 0,
        });

    /// <summary>Disposes every node, whatever state each is in; a failure does not stop the others, and is thrown at the end.</summary>
    public static async Task DisposeAllAsync(IEnumerable<DhtNode?> nodes)
    {
        List<Exception> failures = [];
        foreach (DhtNode? node in nodes)
        {
            try
            {
                if (node is not null)
                {
                    await node.DisposeAsync();
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add(e);
            }
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("Disposing our nodes failed.", failures);
        }
    }

    /// <summary>A random infohash (tests never share one).</summary>
    public static NodeId RandomInfoHash() => new(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Take(NodeId.Size).ToArray());

    /// <summary>
    /// A random id that shares its first <paramref name="bits"/> bits with <paramref name="near"/>:
    /// a target that a lookup knowing the node <paramref name="near"/> converges on, however many
    /// other nodes it knows.
    /// </summary>
    public static NodeId Near(NodeId near, Random random, int bits = 140) => NodeId.CreateRandomInRange(near, bits, random);
}
