using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.Cli.Tests.Support;

/// <summary>
/// Our nodes in the test process on <c>PREFIX.1</c> … <c>PREFIX.N</c>, joined to each other, for the
/// command's processes to join. In process, so that a test can read their routing tables and stores.
/// A dual-stack swarm also runs every node on <c>::1</c> (each on its own port: the one IPv6 loopback address).
/// </summary>
internal sealed class LoopbackSwarm : IAsyncDisposable
{
    private readonly List<DhtNode> _nodes = [];

    private LoopbackSwarm()
    {
    }

    public IReadOnlyList<DhtNode> Nodes => _nodes;

    /// <summary>The first node's <c>ip:port</c>, to pass as <c>--bootstrap</c>.</summary>
    public string Hub => _nodes[0].LocalEndPoint.ToString();

    /// <summary>The first node's <c>[::1]:port</c> in a dual-stack swarm, to pass as <c>--bootstrap</c>.</summary>
    public string HubV6 => (_nodes[0].LocalEndPointV6 ?? throw new InvalidOperationException("The swarm runs no IPv6.")).ToString();

    /// <summary>
    /// Starts <paramref name="count"/> nodes on <paramref name="prefix"/>.1 onwards (ports picked by
    /// the system), with <paramref name="ipv6"/> each also on <c>[::1]</c>, joined over both families.
    /// </summary>
    public static async Task<LoopbackSwarm> StartAsync(string prefix, int count, bool ipv6 = false)
    {
        var swarm = new LoopbackSwarm();
        try
        {
            for (int i = 1; i <= count; i++)
            {
                DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
                {
                    BindEndPoint = new IPEndPoint(IPAddress.Parse($"{prefix}.{i}"), 0),
                    BindEndPointV6 = ipv6 ? new IPEndPoint(IPAddress.IPv6Loopback, 0) : null,
                    BootstrapNodes = swarm._nodes.Count == 0 ? [] : ipv6 ? [swarm.Hub, swarm.HubV6] : [swarm.Hub],
                    UsePublicRouters = false,
                    SendPolicy = SendPolicy.LoopbackOnly(),
                    QueriesPerSecondPerIp = 0,
                });
                swarm._nodes.Add(node);
                if (i > 1)
                {
                    await node.JoinAsync();
                }
            }

            return swarm;
        }
        catch
        {
            await swarm.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
