using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>
/// Joining on virtual time, nothing leaving the in-memory network: the order of the bootstrap
/// steps (given nodes, saved nodes, public routers), the warnings, and bootstrapping again after
/// the routing table lost its last live node. The public routers are "resolved" by a fake resolver
/// to documentation addresses (192.0.2.0/24), which the send policy refuses and records.
/// </summary>
public sealed class BootstrapTests : GuardedTest
{
    private static readonly IPEndPoint DeadGiven = new(IPAddress.Parse("127.0.0.50"), 6881);
    private static readonly IPEndPoint DeadSaved = new(IPAddress.Parse("127.0.0.60"), 6881);

    private VirtualTimeProvider _clock = null!;
    private InMemoryNetwork _network = null!;
    private string _directory = null!;
    private readonly List<DhtNode> _nodes = [];
    private readonly List<IPEndPoint> _refused = [];
    private readonly List<string> _resolved = [];
    private readonly List<(TimeSpan At, string Message)> _warnings = [];

    [SetUp]
    public void CreateNetwork()
    {
        _clock = new VirtualTimeProvider();
        _network = new InMemoryNetwork(_clock, new Random(1));
        _directory = Directory.CreateTempSubdirectory("mainline-dht-bootstrap-").FullName;
        _refused.Clear();
        _resolved.Clear();
        _warnings.Clear();
    }

    [TearDown]
    public async Task StopNodes()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The public routers' names resolve to 192.0.2.1, .2, … in list order; any other name does not resolve.</summary>
    private Task<IPAddress[]> FakeResolve(string host, CancellationToken cancellationToken)
    {
        lock (_resolved)
        {
            _resolved.Add(host);
        }

        int index = DhtNodeOptions.DefaultBootstrapNodes.Select(n => n[..n.LastIndexOf(':')]).ToList().IndexOf(host);
        return index < 0
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))
            : Task.FromResult(new[] { IPAddress.Parse($"192.0.2.{index + 1}") });
    }

    private static IPEndPoint[] RouterEndPoints =>
        [.. DhtNodeOptions.DefaultBootstrapNodes.Select((n, i) => new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), int.Parse(n[(n.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)))];

    private (DhtNode Node, PolicedTransport Sent) Start(int address, Func<DhtNodeOptions, DhtNodeOptions>? configure = null)
    {
        var options = new DhtNodeOptions
        {
            TimeProvider = _clock,
            RandomSeed = address,
            UsePublicRouters = false,
            RunContinuationsInline = true,
            ResolveHost = FakeResolve,
            LoggerFactory = new TestLogger(message => _warnings.Add((_clock.Elapsed, message))),
        };
        options = configure?.Invoke(options) ?? options;
        var transport = new PolicedTransport(
            _network.CreateTransport(new IPEndPoint(IPAddress.Parse($"127.0.0.{address}"), 6881)),
            SendPolicy.LoopbackOnly(_refused.Add),
            _clock);
        var node = new DhtNode(options, transport);
        node.Start();
        _nodes.Add(node);
        return (node, transport);
    }

    private T Run<T>(Task<T> task, TimeSpan? limit = null)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, limit ?? TimeSpan.FromMinutes(5)), Is.True, "did not complete on virtual time");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>A state file naming one node, which is dead.</summary>
    private string SavedStateWithADeadNode()
    {
        string path = Path.Combine(_directory, "state.json");
        new DhtNodeState
        {
            NodeId = NodeId.Parse("1111111111111111111111111111111111111111"),
            SavedAt = _clock.GetUtcNow(),
            Nodes = [new SavedNode(NodeId.Parse("2222222222222222222222222222222222222222"), DeadSaved, _clock.GetUtcNow())],
        }.Save(path);
        return path;
    }

    /// <summary>How much longer each gap between two tries is than the gap before it.</summary>
    private static IEnumerable<TimeSpan> GrowthOfGaps(List<TimeSpan> tries)
    {
        TimeSpan[] gaps = [.. tries.Zip(tries.Skip(1), (a, b) => b - a)];
        return gaps.Zip(gaps.Skip(1), (a, b) => b - a);
    }

    private static IEnumerable<TimeSpan> Seconds(params int[] seconds) => seconds.Select(s => TimeSpan.FromSeconds(s));

    /// <summary>Each destination once, in the order it was first sent to.</summary>
    private static List<IPEndPoint> FirstSends(PolicedTransport sent) => sent.Sends.Select(s => s.Destination).Distinct().ToList();

    [Test]
    public void A_join_tries_the_given_nodes_then_the_saved_nodes_then_the_public_routers()
    {
        string state = SavedStateWithADeadNode();
        (DhtNode node, PolicedTransport sent) = Start(10, o => o with { BootstrapNodes = [DeadGiven.ToString()], StateFile = state, UsePublicRouters = true });

        LookupReport report = Run(node.JoinAsync());

        Assert.That(FirstSends(sent), Is.EqualTo(new[] { DeadGiven, DeadSaved }.Concat(RouterEndPoints)));
        TimeSpan givenAt = sent.Sends.First(s => s.Destination.Equals(DeadGiven)).At;
        TimeSpan savedAt = sent.Sends.First(s => s.Destination.Equals(DeadSaved)).At;
        TimeSpan routersAt = sent.Sends.First(s => s.Destination.Equals(RouterEndPoints[0])).At;
        Assert.That(savedAt, Is.GreaterThan(givenAt), "the saved nodes come once the given ones were given up on");
        Assert.That(routersAt, Is.GreaterThan(savedAt), "the routers come once the saved ones were given up on");
        Assert.That(_refused, Is.EqualTo(RouterEndPoints), "the routers were tried, and nothing left loopback");
        Assert.That(_resolved, Is.EqualTo(DhtNodeOptions.DefaultBootstrapNodes.Select(n => n[..n.LastIndexOf(':')])));
        Assert.That(report.NodesQueried, Is.EqualTo(2 + RouterEndPoints.Length));
        Assert.That(report.Replies, Is.Zero);

        string warning = _warnings.Select(w => w.Message).Single(m => m.StartsWith("join found no node", StringComparison.Ordinal));
        Assert.That(warning, Does.Contain(DeadGiven.ToString()).And.Contain("1 saved nodes").And.Contain("the public routers"));
    }

    [Test]
    public void Saved_nodes_that_are_all_dead_no_longer_keep_a_node_from_the_public_routers()
    {
        string state = SavedStateWithADeadNode();
        (DhtNode node, PolicedTransport sent) = Start(10, o => o with { StateFile = state, UsePublicRouters = true });

        Run(node.JoinAsync());

        Assert.That(FirstSends(sent), Is.EqualTo(new[] { DeadSaved }.Concat(RouterEndPoints)));
        Assert.That(_refused, Is.EqualTo(RouterEndPoints));
    }

    [Test]
    public void A_given_node_that_answers_is_enough_the_routers_are_never_tried()
    {
        (DhtNode bootstrap, _) = Start(20);
        string state = SavedStateWithADeadNode();
        (DhtNode node, PolicedTransport sent) = Start(10, o => o with { BootstrapNodes = [bootstrap.LocalEndPoint.ToString()], StateFile = state, UsePublicRouters = true });

        LookupReport report = Run(node.JoinAsync());

        Assert.That(sent.Sends[0].Destination, Is.EqualTo(bootstrap.LocalEndPoint));
        Assert.That(report.Replies, Is.GreaterThan(0));
        Assert.That(node.GetRoutingTable().Select(e => e.Id), Does.Contain(bootstrap.Id));
        Assert.That(_refused, Is.Empty);
        Assert.That(_resolved, Is.Empty, "the routers' names are not even resolved");
        Assert.That(_warnings, Is.Empty);
        Assert.That(node.WaitUntilJoinedAsync().IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public void An_unresolvable_name_is_reported_with_the_reason_and_the_other_nodes_still_work()
    {
        (DhtNode bootstrap, _) = Start(20);
        (DhtNode node, _) = Start(10, o => o with { BootstrapNodes = ["no-such-host.invalid:6881", bootstrap.LocalEndPoint.ToString()] });

        Run(node.JoinAsync());

        Assert.That(_warnings.Select(w => w.Message), Is.EqualTo(new[] { "could not resolve bootstrap node no-such-host.invalid:6881: " + new SocketException((int)SocketError.HostNotFound).Message }));
        Assert.That(node.GetRoutingTable().Select(e => e.Id), Does.Contain(bootstrap.Id));
    }

    [Test]
    public void While_the_node_retries_by_itself_each_problem_is_reported_once_and_never_under_the_gate()
    {
        DhtNode? self = null;
        bool gateFree = true;
        (DhtNode node, _) = Start(10, o => o with
        {
            BootstrapNodes = ["no-such-host.invalid:6881", DeadGiven.ToString()],
            LoggerFactory = new TestLogger(message =>
            {
                // Another thread can take the node's gate meanwhile: the warning is not given under it.
                gateFree &= Task.Run(() => self!.GetStatistics()).Wait(TimeSpan.FromSeconds(10));
                _warnings.Add((_clock.Elapsed, message));
            }),
        });
        self = node;

        Run(node.JoinAsync());
        _clock.Advance(TimeSpan.FromMinutes(2));

        Assert.That(_resolved.Count(n => n == "no-such-host.invalid"), Is.GreaterThan(3), "every try resolves the name again");
        Assert.That(_warnings.Select(w => w.Message), Is.EqualTo(new[]
        {
            "could not resolve bootstrap node no-such-host.invalid:6881: " + new SocketException((int)SocketError.HostNotFound).Message,
            $"join found no node: none answered (no-such-host.invalid:6881, {DeadGiven}); bootstrapping again in 1 s, then at growing intervals up to 5 min",
        }));
        Assert.That(gateFree, Is.True, "a warning was given while the node's gate was held");
    }

    [Test]
    public void A_node_with_nothing_to_join_through_tries_nothing_and_warns_of_nothing()
    {
        (DhtNode node, PolicedTransport sent) = Start(10);

        LookupReport report = Run(node.JoinAsync());
        _clock.Advance(TimeSpan.FromMinutes(10));

        Assert.That(report.NodesQueried, Is.Zero);
        Assert.That(sent.Sends, Is.Empty);
        Assert.That(_warnings, Is.Empty);
        Assert.That(node.WaitUntilJoinedAsync().IsCompleted, Is.False);
    }

    [Test]
    public void A_node_with_nothing_to_join_through_joins_when_contacted_and_looks_its_id_up_through_its_contact()
    {
        (DhtNode first, _) = Start(10);
        Run(first.JoinAsync());
        Task joined = first.WaitUntilJoinedAsync();

        (DhtNode second, _) = Start(11, o => o with { BootstrapNodes = [first.LocalEndPoint.ToString()] });
        Run(second.JoinAsync());

        Assert.That(_clock.RunUntil(() => joined.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the contact was noticed");
        Assert.That(first.GetRoutingTable().Select(e => e.Id), Does.Contain(second.Id));
        Assert.That(first.GetStatistics().QueriesSent["find_node"], Is.GreaterThan(0), "it looked its id up through the node that contacted it");
    }

    [Test]
    public void A_join_that_found_nobody_is_retried_by_the_node_with_a_doubling_delay_until_a_node_answers()
    {
        (DhtNode node, PolicedTransport sent) = Start(10, o => o with { BootstrapNodes = [DeadGiven.ToString()] });
        Task joined = node.WaitUntilJoinedAsync();

        Run(node.JoinAsync());
        _clock.Advance(TimeSpan.FromMinutes(2));

        // Each try asks the dead node once and gives up on it after the same while; between two
        // tries the node waits 1 s, then 2 s, 4 s, ...: each gap is longer than the one before by
        // the growth of the delay.
        List<TimeSpan> tries = sent.Sends.Where(s => s.Destination.Equals(DeadGiven)).Select(s => s.At).ToList();
        Assert.That(GrowthOfGaps(tries).Take(5), Is.EqualTo(Seconds(1, 2, 4, 8, 16)));
        Assert.That(joined.IsCompleted, Is.False);
        Assert.That(_warnings.Select(w => w.Message), Is.EqualTo(new[] { $"join found no node: none answered ({DeadGiven}); bootstrapping again in 1 s, then at growing intervals up to 5 min" }), "the node's own tries do not warn again");
        Assert.That(node.LastBootstrapReport!.RetryIn, Is.GreaterThan(TimeSpan.FromSeconds(16)), "each try says when the next one comes");

        // A node comes up at the given address: the next try finds it.
        (DhtNode late, _) = Start(50);
        Assert.That(_clock.RunUntil(() => joined.IsCompleted, TimeSpan.FromMinutes(6)), Is.True, "the node did not join once its bootstrap node answered");
        Assert.That(node.GetRoutingTable().Select(e => e.Id), Does.Contain(late.Id));

        _clock.Advance(TimeSpan.FromMinutes(1));
        int before = sent.Sends.Count;
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(sent.Sends, Has.Count.EqualTo(before), "no more bootstrap tries once joined");
    }

    [Test]
    public void A_node_whose_table_lost_its_last_live_node_bootstraps_again_with_a_growing_delay()
    {
        (DhtNode bootstrap, _) = Start(20);
        IPEndPoint bootstrapAt = bootstrap.LocalEndPoint;
        (DhtNode node, PolicedTransport sent) = Start(10, o => o with { BootstrapNodes = [bootstrapAt.ToString()] });
        Run(node.JoinAsync());
        Assert.That(node.GetRoutingTable(), Has.Count.EqualTo(1));

        // The only node it knows leaves. Upkeep finds it dead (two failed refreshes, ~30 min later).
        _nodes.Remove(bootstrap);
        Assert.That(bootstrap.DisposeAsync().IsCompletedSuccessfully, Is.True, "an in-memory node stops at once");
        _clock.Advance(TimeSpan.FromMinutes(40));

        (TimeSpan emptiedAt, string warning) = _warnings.Single();
        Assert.That(warning, Is.EqualTo("no live node left in the routing table: bootstrapping again"));
        List<TimeSpan> tries = sent.Sends.Where(s => s.Destination.Equals(bootstrapAt) && s.At >= emptiedAt).Select(s => s.At).ToList();
        Assert.That(tries[0] - emptiedAt, Is.EqualTo(TimeSpan.FromSeconds(1)), "the first try a second after the table was found empty");
        Assert.That(GrowthOfGaps(tries).Take(5), Is.EqualTo(Seconds(2, 4, 8, 16, 32)));

        // The bootstrap node comes back (with a new id, at the same address): the node rejoins by itself.
        Task joined = node.WaitUntilJoinedAsync();
        Assert.That(joined.IsCompleted, Is.False);
        (DhtNode back, _) = Start(20, o => o with { RandomSeed = 99 });
        Assert.That(_clock.RunUntil(() => joined.IsCompleted, TimeSpan.FromMinutes(6)), Is.True, "the node did not rejoin");
        Assert.That(node.GetRoutingTable().Select(e => e.Id), Does.Contain(back.Id));
    }
}
