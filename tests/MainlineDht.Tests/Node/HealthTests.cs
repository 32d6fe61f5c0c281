using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// <see cref="DhtNode.Health"/> and its transitions on virtual time, with public-looking addresses on
/// the in-memory network (nothing leaves the process).
/// </summary>
public sealed class HealthTests
{
    private static readonly IPEndPoint Ours = IPEndPoint.Parse("50.0.0.1:6881");

    private readonly VirtualTimeProvider _clock = new();
    private InMemoryNetwork _network = null!;
    private DhtNode _node = null!;
    private readonly List<DhtHealthChange> _changes = [];

    [SetUp]
    public void CreateNetwork()
    {
        _network = new InMemoryNetwork(_clock, new Random(1));
        _changes.Clear();
    }

    [TearDown]
    public async Task StopNode() => await _node.DisposeAsync();

    private List<ScriptedPeer> Peers(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new ScriptedPeer(_network, IPEndPoint.Parse($"60.0.{i}.1:6881"), NodeId.CreateRandom(new Random(i))))];

    private DhtNode Start(IEnumerable<ScriptedPeer> bootstrap, IPEndPoint? bind = null, Func<DhtNodeOptions, DhtNodeOptions>? configure = null)
    {
        var options = new DhtNodeOptions
        {
            BindEndPoint = bind ?? Ours,
            RandomSeed = 3,
            BootstrapNodes = [.. bootstrap.Select(p => p.EndPoint.ToString())],
            SendPolicy = SendPolicy.AllowAll, // in memory: the network delivers only to its own endpoints
            QueriesPerSecondPerIp = 0,
        };
        _node = _network.StartNode(configure?.Invoke(options) ?? options);
        _node.HealthChanged += (_, change) => _changes.Add(change);
        return _node;
    }

    private void Join()
    {
        Task join = _node.JoinAsync();
        Assert.That(_clock.RunUntil(() => join.IsCompleted, TimeSpan.FromMinutes(2)), Is.True);
    }

    private IEnumerable<DhtHealth> Transitions => _changes.Select(c => c.Current);

    [Test]
    public void A_node_is_bootstrapping_until_it_joins_then_ready_with_eight_good_nodes()
    {
        Start(Peers(9));
        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Bootstrapping));

        Join();

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Ready));
        Assert.That(_node.GetStatistics().Health, Is.EqualTo(DhtHealth.Ready));
        Assert.That(Transitions, Is.EqualTo(new[] { DhtHealth.Degraded, DhtHealth.Ready }), "the first answer, then the rest");
        Assert.That(_changes[^1], Is.EqualTo(new DhtHealthChange(DhtHealth.Degraded, DhtHealth.Ready, "9 good nodes")));
    }

    [Test]
    public void A_node_with_fewer_than_eight_good_nodes_is_degraded()
    {
        Start(Peers(3));
        Join();

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Degraded));
        Assert.That(Transitions, Is.EqualTo(new[] { DhtHealth.Degraded }));
        Assert.That(_changes[0].Reason, Does.EndWith("good nodes, fewer than 8"));
    }

    [Test]
    public void A_node_nobody_queries_for_five_minutes_is_firewalled_goes_read_only_and_comes_back_when_a_query_arrives()
    {
        List<ScriptedPeer> peers = Peers(9);
        Start(peers);
        Join();
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Ready), "four quiet minutes are not enough");

        _clock.Advance(TimeSpan.FromMinutes(1.5));

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Firewalled));
        Assert.That(_changes[^1].Reason, Does.Contain("no query reached us for 5 min").And.Contain("read-only"));
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.True);
        int before = peers[0].Received.Count;
        Task<MainlineDht.Rpc.RpcResult> ping = _node.PingAsync(peers[0].EndPoint);
        Assert.That(_clock.RunUntil(() => ping.IsCompleted, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(peers[0].Received.Skip(before).Single().Query.ReadOnly, Is.True, "its queries carry ro=1 (BEP 43)");

        // Someone reaches us after all: we answer queries again.
        peers[1].Send(Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"), Ours);
        _clock.Advance(TimeSpan.FromMilliseconds(10));

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Ready));
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.False);
        Assert.That(Transitions, Is.EqualTo(new[] { DhtHealth.Degraded, DhtHealth.Ready, DhtHealth.Firewalled, DhtHealth.Ready }));
    }

    [Test]
    public void A_firewalled_node_tries_being_reachable_again_after_half_an_hour()
    {
        Start(Peers(9));
        Join();
        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.True);

        _clock.Advance(TimeSpan.FromMinutes(30.5));
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.False, "it answers queries again, to see whether any come");
        _clock.Advance(TimeSpan.FromMinutes(5.5));
        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Firewalled), "none came");
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.True);
    }

    [Test]
    public void With_ReadOnlyWhenFirewalled_off_a_firewalled_node_keeps_answering()
    {
        Start(Peers(9), configure: o => o with { ReadOnlyWhenFirewalled = false });
        Join();
        _clock.Advance(TimeSpan.FromMinutes(6));

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Firewalled));
        Assert.That(_node.GetStatistics().ReadOnlyNow, Is.False);
    }

    [Test]
    public void A_node_of_a_loopback_swarm_is_never_firewalled()
    {
        var peers = Enumerable.Range(1, 9).Select(i => new ScriptedPeer(_network, IPEndPoint.Parse($"127.0.{i}.1:6881"), NodeId.CreateRandom(new Random(i)))).ToList();
        Start(peers, bind: IPEndPoint.Parse("127.0.0.1:6881"));
        Join();
        _clock.Advance(TimeSpan.FromMinutes(20));

        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Ready));
    }

    [Test]
    public void A_node_that_lost_every_node_is_bootstrapping_again_and_stopped_at_the_end()
    {
        List<ScriptedPeer> peers = Peers(9);
        Start(peers);
        Join();
        foreach (ScriptedPeer peer in peers)
        {
            peer.Answer = (_, _) => null; // gone
        }

        _clock.Advance(TimeSpan.FromMinutes(45));
        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Bootstrapping));
        Assert.That(_changes[^1].Reason, Is.EqualTo("no live node in the routing table"));

        Assert.That(_node.DisposeAsync().IsCompletedSuccessfully, Is.True);
        Assert.That(_node.Health, Is.EqualTo(DhtHealth.Stopped));
        Assert.That(_changes[^1].Current, Is.EqualTo(DhtHealth.Stopped));
    }
}
