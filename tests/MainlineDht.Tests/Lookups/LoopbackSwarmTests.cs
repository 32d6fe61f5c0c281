using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Lookups;

/// <summary>Hundreds of our nodes over real UDP, each on its own 127.x address.</summary>
[NonParallelizable]
public sealed class LoopbackSwarmTests : GuardedTest
{
    private readonly List<DhtNode> _nodes = [];
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "mainline-dht-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
        Directory.Delete(_directory, recursive: true);
    }

    private static DhtNodeOptions Options(IPAddress address, IEnumerable<IPEndPoint> bootstrap, string? stateFile = null, Action<string>? warn = null) => new()
    {
        BindEndPoint = new IPEndPoint(address, 0),
        BootstrapNodes = bootstrap.Select(b => b.ToString()).ToList(),
        UsePublicRouters = false,
        SendPolicy = NetworkGuard.Policy,
        QueriesPerSecondPerIp = 0,
        QueryTimeout = TimeSpan.FromSeconds(2),
        StateFile = stateFile,
        LoggerFactory = new TestLogger(warn),
    };

    private static IPAddress Address(int block, int index) => new([127, (byte)block, (byte)(index >> 8), (byte)((index & 0xff) + 1)]);

    private async Task<DhtNode> StartAsync(DhtNodeOptions options)
    {
        DhtNode node = await DhtNode.StartAsync(options);
        _nodes.Add(node);
        return node;
    }

    private async Task<List<DhtNode>> BuildSwarmAsync(int count)
    {
        DhtNode first = await StartAsync(Options(Address(2, 0), []));
        var swarm = new List<DhtNode> { first };
        for (int batch = 1; batch < count; batch += 25)
        {
            DhtNode[] joined = await Task.WhenAll(Enumerable.Range(batch, Math.Min(25, count - batch)).Select(async i =>
            {
                DhtNode node = await StartAsync(Options(Address(2, i), [first.LocalEndPoint, swarm[^1].LocalEndPoint]));
                await node.JoinAsync();
                return node;
            }));
            swarm.AddRange(joined);
        }

        // Everyone refreshes once more so that early nodes learn of later ones, as upkeep would.
        await Task.WhenAll(swarm.Select(n => n.FindNodeAsync(n.Id)));
        return swarm;
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Every_announced_infohash_is_found_from_every_one_of_20_fresh_nodes_over_udp()
    {
        List<DhtNode> swarm = await BuildSwarmAsync(200);
        var random = new Random(21);
        var announced = new Dictionary<NodeId, IPEndPoint>();
        for (int i = 0; i < 8; i++)
        {
            DhtNode announcer = swarm[random.Next(swarm.Count)];
            NodeId infoHash = NodeId.CreateRandom(random);
            LookupReport report = await announcer.AnnounceAsync(infoHash, 20_000 + i);
            Assert.That(report.AnnouncedTo, Is.Not.Empty);
            announced[infoHash] = new IPEndPoint(announcer.LocalEndPoint.Address, 20_000 + i);
        }

        DhtNode[] fresh = await Task.WhenAll(Enumerable.Range(0, 20).Select(async f =>
        {
            DhtNode node = await StartAsync(Options(Address(3, f), [swarm[random.Next(swarm.Count)].LocalEndPoint]));
            await node.JoinAsync();
            return node;
        }));

        foreach (DhtNode node in fresh)
        {
            PeerLookupResult[] results = await Task.WhenAll(announced.Keys.Select(ih => node.LookupPeersAsync(ih)));
            int i = 0;
            foreach ((NodeId infoHash, IPEndPoint peer) in announced)
            {
                Assert.That(results[i++].Peers, Does.Contain(peer), $"{node.LocalEndPoint} did not find {infoHash}");
            }
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_node_restarted_from_its_state_file_rejoins_without_bootstrap_and_finds_peers()
    {
        List<DhtNode> swarm = await BuildSwarmAsync(40);
        string stateFile = Path.Combine(_directory, "node.json");
        DhtNode node = await StartAsync(Options(Address(4, 0), [swarm[0].LocalEndPoint], stateFile));
        await node.JoinAsync();
        NodeId id = node.Id;
        int known = node.GetRoutingTable().Count;
        Assert.That(known, Is.GreaterThan(8));
        IPEndPoint localEndPoint = node.LocalEndPoint;
        await node.DisposeAsync();
        _nodes.Remove(node);
        Assert.That(File.Exists(stateFile), Is.True, "the state is saved when the node stops");

        NodeId infoHash = NodeId.CreateRandom(new Random(5));
        await swarm[17].AnnounceAsync(infoHash, 7777);

        DhtNode restarted = await StartAsync(Options(localEndPoint.Address, [], stateFile) with { UsePublicRouters = false });
        Assert.That(restarted.Id, Is.EqualTo(id), "the id comes back from the state file");
        Assert.That(restarted.StateFileStatus, Does.StartWith($"loaded {known} nodes"));
        LookupReport join = await restarted.JoinAsync();
        Assert.That(join.Replies, Is.GreaterThan(0), "it rejoined through the saved nodes");
        PeerLookupResult found = await restarted.LookupPeersAsync(infoHash);
        Assert.That(found.Peers, Does.Contain(new IPEndPoint(swarm[17].LocalEndPoint.Address, 7777)));
    }

    [Test]
    public async Task A_corrupt_state_file_is_set_aside_with_a_warning_and_the_node_starts_fresh()
    {
        string stateFile = Path.Combine(_directory, "node.json");
        await File.WriteAllTextAsync(stateFile, "{ this is not a state file");
        var warnings = new List<string>();
        DhtNode node = await StartAsync(Options(Address(4, 1), [], stateFile, warnings.Add));

        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.Contain("invalid").And.Contain(".bad-"));
        string[] aside = Directory.GetFiles(_directory, "node.json.bad-*");
        Assert.That(aside, Has.Length.EqualTo(1));
        Assert.That(await File.ReadAllTextAsync(aside[0]), Is.EqualTo("{ this is not a state file"), "the bad file is kept as it was");
        Assert.That(File.Exists(stateFile), Is.False);

        await node.DisposeAsync();
        _nodes.Remove(node);
        Assert.That(DhtNodeState.TryLoad(stateFile, out DhtNodeState? state, out _), Is.True, "a fresh state is written at stop");
        Assert.That(state!.NodeId, Is.EqualTo(node.Id));
    }

    [Test]
    public async Task A_foreign_json_file_is_set_aside_too()
    {
        string stateFile = Path.Combine(_directory, "node.json");
        await File.WriteAllTextAsync(stateFile, """{"format":"something-else","version":1}""");
        var warnings = new List<string>();
        DhtNode node = await StartAsync(Options(Address(4, 2), [], stateFile, warnings.Add));
        Assert.That(warnings.Single(), Does.Contain("not a mainline-dht-state file"));
        Assert.That(Directory.GetFiles(_directory, "node.json.bad-*"), Has.Length.EqualTo(1));
        Assert.That(node.StateFileStatus, Does.Contain("started fresh"));
    }
}
