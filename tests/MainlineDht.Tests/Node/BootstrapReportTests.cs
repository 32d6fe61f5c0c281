using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>
/// The report of a bootstrap (<see cref="DhtNode.LastBootstrapReport"/>) on virtual time, through the
/// node's internal resolver hook: a name that does not resolve, one whose address never answers, one
/// that answers; the names that answered are kept in the state file and tried first next time.
/// </summary>
public sealed class BootstrapReportTests : GuardedTest
{
    private static readonly IPEndPoint Silent = IPEndPoint.Parse("127.0.0.77:6881");
    private static readonly IPEndPoint Router = IPEndPoint.Parse("127.0.0.88:6881");

    private VirtualNetwork _network = null!;
    private string _directory = null!;

    [SetUp]
    public void CreateNetwork()
    {
        _network = new VirtualNetwork();
        _network.Network.Latency = (_, _) => TimeSpan.FromMilliseconds(15);
        _directory = Directory.CreateTempSubdirectory("mainline-dht-report-").FullName;
    }

    [TearDown]
    public async Task StopNodes()
    {
        await _network.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static Task<IPAddress[]> Resolve(string host, CancellationToken cancellationToken) => host switch
    {
        "silent.test" => Task.FromResult(new[] { Silent.Address }),
        "router.test" => Task.FromResult(new[] { Router.Address }),
        _ => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
    };

    private DhtNode StartNode(int seed, params string[] bootstrap) =>
        _network.StartNode("127.0.0.10", seed, configure: o => o with
        {
            BootstrapNodes = bootstrap,
            ResolveHost = Resolve,
            StateFile = Path.Combine(_directory, "state.json"),
        });

    [Test]
    public async Task Each_name_says_what_it_resolved_to_whether_it_answered_its_round_trip_and_what_went_wrong()
    {
        _network.StartNode(Router.Address, 88);
        DhtNode node = StartNode(1, "no-such-host.invalid:6881", "silent.test:6881", "router.test:6881");

        _network.Run(node.JoinAsync());

        BootstrapReport report = node.LastBootstrapReport!;
        Assert.That(report.Joined, Is.True);
        Assert.That(report.RetryIn, Is.Null);
        Assert.That(report.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "no-such-host.invalid:6881", "silent.test:6881", "router.test:6881" }));
        BootstrapNodeReport unresolved = report.Nodes[0], silent = report.Nodes[1], router = report.Nodes[2];
        Assert.That((unresolved.Addresses, unresolved.Answered, unresolved.RoundTrip), Is.EqualTo((Array.Empty<IPEndPoint>(), false, (TimeSpan?)null)));
        Assert.That(unresolved.Error, Is.EqualTo("did not resolve: " + new SocketException((int)SocketError.HostNotFound).Message));
        Assert.That((silent.Addresses.Single(), silent.Answered), Is.EqualTo((Silent, false)));
        Assert.That(silent.Error, Does.StartWith("no answer in the ").And.EndWith(" s the bootstrap waited for it"));
        Assert.That((router.Addresses.Single(), router.Answered, router.Error), Is.EqualTo((Router, true, (string?)null)));
        Assert.That(router.RoundTrip, Is.EqualTo(TimeSpan.FromMilliseconds(30)), "15 ms each way");
        Assert.That(report.Lookup.Replies, Is.GreaterThan(0));

        await node.DisposeAsync();
        Assert.That(DhtNodeState.TryLoad(Path.Combine(_directory, "state.json"), out DhtNodeState? state, out _), Is.True);
        Assert.That(state!.Routers, Is.EqualTo(new[] { "router.test:6881" }), "the routers that answered are saved");
    }

    [Test]
    public void The_kept_report_has_the_lookups_counts_but_not_its_nodes()
    {
        _network.StartNode(Router.Address, 88);
        DhtNode node = StartNode(2, "router.test:6881");

        LookupReport joined = _network.Run(node.JoinAsync());

        LookupReport kept = node.LastBootstrapReport!.Lookup;
        Assert.That(joined.ClosestNodes, Is.Not.Empty, "JoinAsync returns the nodes it found");
        Assert.That((kept.ClosestNodes, kept.AnnouncedTo, kept.Trace), Is.EqualTo((Array.Empty<NodeInfo>(), Array.Empty<NodeInfo>(), Array.Empty<LookupTraceEntry>())));
        Assert.That((kept.Target, kept.NodesQueried, kept.Replies, kept.RoundTrips, kept.Elapsed), Is.EqualTo((joined.Target, joined.NodesQueried, joined.Replies, joined.RoundTrips, joined.Elapsed)));
    }

    [Test]
    public async Task The_names_that_answered_last_time_are_tried_first()
    {
        _network.StartNode(Router.Address, 88);
        DhtNode first = StartNode(1, "silent.test:6881", "router.test:6881");
        _network.Run(first.JoinAsync());
        await first.DisposeAsync();

        DhtNode again = StartNode(1, "silent.test:6881", "router.test:6881");
        _network.Run(again.JoinAsync());

        Assert.That(again.LastBootstrapReport!.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "router.test:6881", "silent.test:6881" }));
    }

    [Test]
    public void When_nothing_answers_the_report_says_when_the_node_tries_again()
    {
        DhtNode node = StartNode(1, "no-such-host.invalid:6881", "silent.test:6881");

        _network.Run(node.JoinAsync());

        BootstrapReport report = node.LastBootstrapReport!;
        Assert.That(report.Joined, Is.False);
        Assert.That(report.RetryIn, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(report.Nodes.Select(n => n.Answered), Is.All.False);
        Assert.That(report.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "a silent node frees the lookup once it is slow");
        Assert.That(report.Nodes[1].Error, Is.EqualTo("no answer in the 1 s the bootstrap waited for it"));

        _network.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.That(node.LastBootstrapReport!.StartedAt, Is.GreaterThan(report.StartedAt), "the node's own tries report too");
        Assert.That(node.LastBootstrapReport.RetryIn, Is.GreaterThan(TimeSpan.FromSeconds(1)), "with a growing delay");
    }
}
