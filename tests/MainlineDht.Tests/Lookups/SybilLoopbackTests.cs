using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The acceptance case for IP diversity, over real UDP on loopback with the rules applied to
/// loopback (<see cref="IpDiversity.All"/>): 16 nodes of one /24 with ids next to a target, 64 honest
/// nodes on 64 other /24s; a lookup of that target ends with at most 2 of the 16.
/// </summary>
[NonParallelizable]
public sealed class SybilLoopbackTests : GuardedTest
{
    private readonly List<DhtNode> _nodes = [];

    [TearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }

    private async Task<DhtNode> StartAsync(IPAddress address, NodeId? id, IEnumerable<IPEndPoint> bootstrap)
    {
        DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(address, 0),
            NodeId = id,
            BootstrapNodes = bootstrap.Select(b => b.ToString()).ToList(),
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueriesPerSecondPerIp = 0,
            QueryTimeout = TimeSpan.FromSeconds(2),
            IpDiversity = IpDiversity.All,
        });
        _nodes.Add(node);
        return node;
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Sixteen_nodes_of_one_slash_24_next_to_a_target_give_a_lookup_at_most_two_of_its_closest()
    {
        var random = new Random(42);
        NodeId target = NodeId.CreateRandom(random);

        var honest = new List<DhtNode> { await StartAsync(IPAddress.Parse("127.100.0.1"), null, []) };
        for (int n = 101; n < 164; n += 16)
        {
            honest.AddRange(await Task.WhenAll(Enumerable.Range(n, Math.Min(16, 164 - n)).Select(async i =>
            {
                DhtNode node = await StartAsync(IPAddress.Parse($"127.{i}.0.1"), null, [honest[0].LocalEndPoint, honest[^1].LocalEndPoint]);
                await node.JoinAsync();
                return node;
            })));
        }

        Assert.That(honest, Has.Count.EqualTo(64));

        // The Sybils: ids that share 150 bits with the target, all in 127.0.50.0/24, joined through
        // honest nodes and through each other.
        var sybils = new List<DhtNode>();
        for (int i = 1; i <= 16; i++)
        {
            NodeId id = NodeId.CreateRandomInRange(target, 150, random);
            IEnumerable<IPEndPoint> through = [honest[random.Next(honest.Count)].LocalEndPoint, .. sybils.Select(s => s.LocalEndPoint).Take(3)];
            sybils.Add(await StartAsync(IPAddress.Parse($"127.0.50.{i}"), id, through));
        }

        await Task.WhenAll(sybils.Select(s => s.JoinAsync()));
        await Task.WhenAll(honest.Concat(sybils).Select(n => n.FindNodeAsync(n.Id))); // as upkeep's refresh would

        DhtNode ours = await StartAsync(IPAddress.Parse("127.200.0.1"), null, [honest[5].LocalEndPoint, honest[40].LocalEndPoint]);
        await ours.JoinAsync();
        LookupReport report = await ours.FindNodeAsync(target);

        var sybilEndPoints = sybils.Select(s => s.LocalEndPoint).ToHashSet();
        int adversaries = report.ClosestNodes.Count(n => sybilEndPoints.Contains(n.EndPoint));
        TestContext.Out.WriteLine($"closest {report.ClosestNodes.Count}: {adversaries} of the 16 Sybils; {report.NodesQueried} queried");
        Assert.That(report.ClosestNodes, Has.Count.EqualTo(Traversal.K));
        Assert.That(adversaries, Is.InRange(1, 2), "one Sybil /24 may place one node through the lookup and one through our table");
    }
}
