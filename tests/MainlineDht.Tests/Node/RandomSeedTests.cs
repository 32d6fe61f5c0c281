using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>
/// <see cref="DhtNodeOptions.RandomSeed"/>: one options instance may start many nodes, each with
/// generators of its own; a seed makes a node repeat exactly.
/// </summary>
public sealed class RandomSeedTests : GuardedTest
{
    private VirtualTimeProvider _clock = null!;
    private InMemoryNetwork _network = null!;
    private readonly List<DhtNode> _nodes = [];

    [SetUp]
    public void CreateNetwork()
    {
        _clock = new VirtualTimeProvider();
        _network = new InMemoryNetwork(_clock, new Random(1));
    }

    [TearDown]
    public async Task StopNodes()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private (DhtNode Node, PolicedTransport Transport) Start(DhtNodeOptions options, int address)
    {
        var transport = new PolicedTransport(_network.CreateTransport(new IPEndPoint(IPAddress.Parse($"127.0.0.{address}"), 6881)), NetworkGuard.Policy, _clock);
        var node = new DhtNode(options, transport);
        node.Start();
        _nodes.Add(node);
        return (node, transport);
    }

    private static DhtNodeOptions Options(DhtNodeOptions? options = null) => (options ?? new DhtNodeOptions()) with
    {
        UsePublicRouters = false,
        SendPolicy = NetworkGuard.Policy,
        RunContinuationsInline = true,
    };

    /// <summary>The transaction ids of the queries a node sent, in order.</summary>
    private static List<string> TransactionIds(PolicedTransport transport) =>
        transport.Sends.Select(s => Convert.ToHexString(((KrpcQuery)KrpcCodec.Decode(s.Datagram)).TransactionId.Span)).ToList();

    [Test]
    public void Two_nodes_from_one_seeded_options_instance_draw_from_generators_of_their_own()
    {
        DhtNodeOptions shared = Options() with { TimeProvider = _clock, RandomSeed = 42 };
        (DhtNode a, PolicedTransport sentByA) = Start(shared, 1);
        (DhtNode b, PolicedTransport sentByB) = Start(shared, 2);
        IPEndPoint nobody = new(IPAddress.Parse("127.0.0.99"), 6881);

        // Interleaved use: with one generator between them, each draw of one would shift the other's.
        for (int i = 0; i < 8; i++)
        {
            _ = a.PingAsync(nobody);
            _ = b.PingAsync(nobody);
        }

        Assert.That(b.Id, Is.EqualTo(a.Id), "each node drew its id first from its own generator");
        Assert.That(TransactionIds(sentByB), Is.EqualTo(TransactionIds(sentByA)).And.Count.EqualTo(8));
    }

    [Test]
    public void A_seed_makes_a_node_repeat_and_no_seed_does_not()
    {
        (DhtNode seeded, _) = Start(Options() with { TimeProvider = _clock, RandomSeed = 7 }, 1);
        (DhtNode again, _) = Start(Options() with { TimeProvider = _clock, RandomSeed = 7 }, 2);
        (DhtNode unseeded, _) = Start(Options() with { TimeProvider = _clock }, 3);
        (DhtNode unseededToo, _) = Start(Options() with { TimeProvider = _clock }, 4);

        Assert.That(again.Id, Is.EqualTo(seeded.Id));
        Assert.That(unseededToo.Id, Is.Not.EqualTo(unseeded.Id));
    }

    [Test]
    public async Task Nodes_from_one_seeded_options_instance_can_be_used_from_many_threads_at_once()
    {
        DhtNodeOptions shared = Options() with { RandomSeed = 3, QueryTimeout = TimeSpan.FromMilliseconds(200) };
        DhtNode[] nodes = new DhtNode[4];
        for (int i = 0; i < nodes.Length; i++)
        {
            nodes[i] = await DhtNode.StartAsync(shared with { BindEndPoint = new IPEndPoint(IPAddress.Parse($"127.0.0.{41 + i}"), 0) });
            _nodes.Add(nodes[i]);
        }

        // Each node serves lookups of its own on the thread pool; a shared, non-thread-safe Random
        // would be corrupted by this (and then hand out zeros).
        IPEndPoint nobody = new(IPAddress.Parse("127.0.0.99"), 9);
        await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
        {
            var pings = new List<Task>();
            for (int i = 0; i < 200; i++)
            {
                pings.Add(node.PingAsync(nobody));
            }

            await Task.WhenAll(pings);
        })));

        Assert.That(nodes.Select(n => n.Id).Distinct().Count(), Is.EqualTo(1), "same seed, same id, drawn independently");
        Assert.That(nodes.Sum(n => n.GetStatistics().QueriesSent["ping"]), Is.EqualTo(800));
    }
}
