using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The traversal's tunings (<see cref="LookupOptions"/>) on a fake network and a virtual clock:
/// alpha, the soft timeout that widens it, the closer-than-the-third-responder rule, the round-trip
/// order inside a distance bucket, and the times a report gives (first peer, closest answered).
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)] // a clock of its own per test: the tests read its elapsed time
public sealed class TraversalTuningTests
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    private readonly VirtualTimeProvider _clock = new();

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    private static NodeId Id(int firstByte) => NodeId.Parse($"{firstByte:x2}" + new string('0', 38));

    private FakeLookupNetwork Network(TimeSpan? slowAfter = null) =>
        new(AddressFamily.InterNetwork, Self, _clock) { SlowAfter = slowAfter ?? TimeSpan.FromSeconds(1) };

    /// <summary>Nodes 0x01… to 0x<paramref name="count"/>… at 127.0.0.i, answering after <paramref name="delay"/> with no nodes.</summary>
    private static List<(NodeId? Id, IPEndPoint EndPoint)> Flat(FakeLookupNetwork network, int count, TimeSpan delay)
    {
        var seeds = new List<(NodeId?, IPEndPoint)>();
        for (int i = 1; i <= count; i++)
        {
            network.Nodes[At(i)] = new FakeNode(Id(i)) { Delay = delay };
            seeds.Add((Id(i), At(i)));
        }

        return seeds;
    }

    private static GetPeersOperation GetPeers(FakeLookupNetwork network) => new(network, Target, new PeerCollector());

    private Traversal Start(TraversalOperation operation, LookupOptions options, IEnumerable<(NodeId? Id, IPEndPoint EndPoint)> seeds, out Task run)
    {
        var traversal = new Traversal(operation, _clock, options);
        foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
        {
            traversal.AddCandidate(id, endPoint, 0);
        }

        run = traversal.RunAsync(CancellationToken.None);
        return traversal;
    }

    private void Finish(Task run)
    {
        Assert.That(_clock.RunUntil(() => run.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the traversal did not end");
        run.GetAwaiter().GetResult();
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(6)]
    public void Alpha_queries_go_out_at_once(int alpha)
    {
        FakeLookupNetwork network = Network();
        List<(NodeId?, IPEndPoint)> seeds = Flat(network, 12, TimeSpan.FromMilliseconds(100));

        Start(new FindNodeOperation(network, Target), new LookupOptions { Alpha = alpha }, seeds, out Task run);

        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(Enumerable.Range(1, alpha).Select(At)), "the alpha closest, before any answer");
        Finish(run);
    }

    [Test]
    public void Alpha_out_of_range_is_refused()
    {
        Assert.That(() => new LookupOptions { Alpha = 0 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new LookupOptions { Alpha = LookupOptions.MaxAlpha + 1 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new LookupOptions { SlowAfter = TimeSpan.Zero }, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void The_soft_timeout_of_the_options_frees_a_slow_nodes_slot_and_its_late_answer_still_counts()
    {
        // The network's own estimate says 1 s; the options say 200 ms. 0x01… is the closest and answers
        // only after 500 ms, with a node closer still; 0x02… starts a chain of nodes 150 ms apart, so the
        // traversal is still running when 0x01… answers.
        FakeLookupNetwork network = Network(TimeSpan.FromSeconds(1));
        TimeSpan hop = TimeSpan.FromMilliseconds(150);
        network.Nodes[At(1)] = new FakeNode(Id(0x01)) { Delay = TimeSpan.FromMilliseconds(500), Nodes = [new NodeInfo(NodeId.Parse("0000000000000000000000000000000000000001"), At(100))] };
        network.Nodes[At(100)] = new FakeNode(NodeId.Parse("0000000000000000000000000000000000000001")) { Delay = hop };
        network.Nodes[At(2)] = new FakeNode(Id(0x40)) { Delay = hop, Nodes = [new NodeInfo(Id(0x30), At(3))] };
        network.Nodes[At(3)] = new FakeNode(Id(0x30)) { Delay = hop, Nodes = [new NodeInfo(Id(0x20), At(4))] };
        network.Nodes[At(4)] = new FakeNode(Id(0x20)) { Delay = hop, Nodes = [new NodeInfo(Id(0x10), At(5))] };
        network.Nodes[At(5)] = new FakeNode(Id(0x10)) { Delay = hop };

        Traversal traversal = Start(
            new FindNodeOperation(network, Target),
            new LookupOptions { Alpha = 1, SlowAfter = TimeSpan.FromMilliseconds(200) },
            [(Id(0x01), At(1)), (Id(0x40), At(2))],
            out Task run);

        Assert.That(network.Sent, Has.Count.EqualTo(1), "alpha 1: only the closest at first");
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At(1), At(2) }), "after 200 ms without an answer, 0x01… no longer holds the only slot");
        Finish(run);

        Assert.That(network.Sent.Select(s => s.EndPoint), Does.Contain(At(100)), "the slow node's late answer was taken: the node it named was asked");
        Assert.That(traversal.ClosestResponded(Traversal.K)[0].EndPoint, Is.EqualTo(At(100)));
        Assert.That(traversal.ClosestResponded(Traversal.K)[1].Id, Is.EqualTo(Id(0x01)));
    }

    [Test]
    public void Closer_than_the_third_responder_a_lookup_ends_once_the_three_closest_answered()
    {
        FakeLookupNetwork network = Network();
        List<(NodeId?, IPEndPoint)> seeds = Flat(network, 12, TimeSpan.FromMilliseconds(100));

        Traversal traversal = Start(GetPeers(network), new LookupOptions { Alpha = 4, CloserThanThirdResponder = true }, seeds, out Task run);
        Finish(run);

        // The four asked first answer at 100 ms, one after the other: the first answer brings nothing
        // closer and starts the final round (0x05…–0x08… asked: fewer than three responders yet); the
        // third makes 0x01…–0x03… the three closest responders, and nothing is left closer.
        Assert.That(traversal.Queried, Is.EqualTo(8));
        Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(100)), "0x04…–0x08… are not waited for");
        Assert.That(traversal.ClosestResponded(3).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id(1), Id(2), Id(3) }));

        // Without the rule: the K closest are asked (the final round), 8 queries, one more round trip.
        var plainClock = new VirtualTimeProvider();
        var plain = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, plainClock);
        var full = new Traversal(new GetPeersOperation(plain, Target, new PeerCollector()), plainClock, new LookupOptions { Alpha = 4, CloserThanThirdResponder = false });
        foreach ((NodeId? id, IPEndPoint endPoint) in Flat(plain, 12, TimeSpan.FromMilliseconds(100)))
        {
            full.AddCandidate(id, endPoint, 0);
        }

        Task fullRun = full.RunAsync(CancellationToken.None);
        Assert.That(plainClock.RunUntil(() => fullRun.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(full.Queried, Is.EqualTo(Traversal.K));
        Assert.That(plainClock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
    }

    [Test]
    public void Closer_than_the_third_responder_still_asks_a_nearer_node_while_others_are_in_flight()
    {
        // 0x10…, 0x11…, 0x12… answer fast, 0x12… last, naming 0x01… (closer than all three) and
        // 0x20… (beyond the third responder): 0x01… is asked though the slower 0x13… is still in
        // flight; 0x20… never is.
        FakeLookupNetwork network = Network();
        network.Nodes[At(1)] = new FakeNode(Id(0x01)) { Delay = TimeSpan.FromMilliseconds(50) };
        network.Nodes[At(0x10)] = new FakeNode(Id(0x10)) { Delay = TimeSpan.FromMilliseconds(40) };
        network.Nodes[At(0x11)] = new FakeNode(Id(0x11)) { Delay = TimeSpan.FromMilliseconds(41) };
        network.Nodes[At(0x12)] = new FakeNode(Id(0x12)) { Delay = TimeSpan.FromMilliseconds(42), Nodes = [new NodeInfo(Id(0x01), At(1)), new NodeInfo(Id(0x20), At(0x20))] };
        network.Nodes[At(0x13)] = new FakeNode(Id(0x13)) { Delay = TimeSpan.FromMilliseconds(400) };
        network.Nodes[At(0x20)] = new FakeNode(Id(0x20)) { Delay = TimeSpan.FromMilliseconds(10) };

        Traversal traversal = Start(
            GetPeers(network),
            new LookupOptions { Alpha = 4, CloserThanThirdResponder = true },
            [(Id(0x10), At(0x10)), (Id(0x11), At(0x11)), (Id(0x12), At(0x12)), (Id(0x13), At(0x13))],
            out Task run);
        Finish(run);

        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At(0x10), At(0x11), At(0x12), At(0x13), At(1) }));
        Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(92)), "done when 0x01…, 0x10… and 0x11… answered; 0x13… is beyond them and not waited for");
        Assert.That(traversal.ClosestResponded(3).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id(0x01), Id(0x10), Id(0x11) }));
    }

    [TestCase("announce")]
    [TestCase("find_node")]
    public void An_announce_and_a_find_node_do_not_narrow_to_the_three_closest(string what)
    {
        FakeLookupNetwork network = Network();
        List<(NodeId?, IPEndPoint)> seeds = Flat(network, 12, TimeSpan.FromMilliseconds(100));
        TraversalOperation operation = what == "announce"
            ? new AnnounceOperation(network, Target, 6881, impliedPort: false, new PeerCollector())
            : new FindNodeOperation(network, Target);

        Traversal traversal = Start(operation, new LookupOptions { Alpha = 4, CloserThanThirdResponder = true }, seeds, out Task run);
        Finish(run);

        Assert.That(traversal.ClosestResponded(Traversal.K), Has.Count.EqualTo(Traversal.K), "all K closest must have answered");
    }

    [TestCase(true, new[] { 0x08, 0x11, 0x10, 0x12, 0x30 })]
    [TestCase(false, new[] { 0x08, 0x10, 0x11, 0x12, 0x30 })]
    public void Inside_a_distance_bucket_the_shortest_measured_round_trip_goes_first(bool preferShortRoundTrip, int[] order)
    {
        // 0x08… shares 4 bits with the target; 0x10…, 0x11…, 0x12… share 3 (one bucket); 0x30… shares 2.
        FakeLookupNetwork network = Network();
        var seeds = new List<(NodeId? Id, IPEndPoint EndPoint, TimeSpan? RoundTrip)>
        {
            (Id(0x08), At(0x08), TimeSpan.FromMilliseconds(300)),
            (Id(0x10), At(0x10), TimeSpan.FromMilliseconds(200)),
            (Id(0x11), At(0x11), TimeSpan.FromMilliseconds(50)),
            (Id(0x12), At(0x12), null),
            (Id(0x30), At(0x30), TimeSpan.FromMilliseconds(10)),
        };
        var traversal = new Traversal(new FindNodeOperation(network, Target), _clock, new LookupOptions { Alpha = 1, PreferShortRoundTrip = preferShortRoundTrip, FinalRound = false });
        foreach ((NodeId? id, IPEndPoint endPoint, TimeSpan? rtt) in seeds)
        {
            network.Nodes[endPoint] = new FakeNode(id!.Value) { Delay = TimeSpan.FromMilliseconds(10) };
            traversal.AddCandidate(id, endPoint, 0, rtt);
        }

        Finish(traversal.RunAsync(CancellationToken.None));

        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(order.Select(At)), "distance bucket first (0x30… is last however fast), then round trip; unknown round trips after known ones");
    }

    [Test]
    public void A_runner_gives_its_starting_candidates_the_round_trips_the_table_measured()
    {
        FakeLookupNetwork network = Network().Starting((Id(0x10), At(0x10)), (Id(0x11), At(0x11)));
        network.Nodes[At(0x10)] = new FakeNode(Id(0x10));
        network.Nodes[At(0x11)] = new FakeNode(Id(0x11));
        network.RoundTrips[Id(0x10)] = TimeSpan.FromMilliseconds(250);
        network.RoundTrips[Id(0x11)] = TimeSpan.FromMilliseconds(40);
        var runner = new LookupRunner([network], _clock, new LookupOptions { Alpha = 1, PreferShortRoundTrip = true });

        Task<LookupReport> lookup = runner.FindNodeAsync(Target, null, CancellationToken.None);
        Finish(lookup);

        Assert.That(network.Sent[0].EndPoint, Is.EqualTo(At(0x11)), "same bucket: the 40 ms node first");
    }

    [Test]
    public void A_report_gives_the_time_to_the_first_peer_and_until_the_closest_answered()
    {
        IPEndPoint peer = new(IPAddress.Parse("10.0.0.1"), 1001);
        FakeLookupNetwork network = Network().Starting((Id(0x01), At(1)), (Id(0x02), At(2)), (Id(0x03), At(3)));
        network.Nodes[At(1)] = new FakeNode(Id(0x01)) { Delay = TimeSpan.FromMilliseconds(300) };
        network.Nodes[At(2)] = new FakeNode(Id(0x02)) { Delay = TimeSpan.FromMilliseconds(120), Values = [peer] };
        network.Nodes[At(3)] = new FakeNode(Id(0x03)) { Delay = TimeSpan.FromMilliseconds(80) };
        network.Nodes[At(9)] = new FakeNode(Id(0x70)) { Delay = null }; // never answers: the lookup waits for it until it is slow
        network.Starting((Id(0x70), At(9)));
        var runner = new LookupRunner([network], _clock);

        Task<PeerLookupResult> lookup = runner.LookupPeersAsync(Target, null, CancellationToken.None);
        Finish(lookup);
        LookupReport report = lookup.Result.Report;

        Assert.That(report.FirstPeerAfter, Is.EqualTo(TimeSpan.FromMilliseconds(120)));
        Assert.That(report.ClosestAnsweredAfter, Is.EqualTo(TimeSpan.FromMilliseconds(300)), "the three that answered, the last at 300 ms");
        Assert.That(report.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(300)), "a get_peers ends when the three closest answered: 0x70…, beyond them, is not waited for");

        FakeLookupNetwork empty = Network().Starting((Id(0x01), At(1)));
        empty.Nodes[At(1)] = new FakeNode(Id(0x01)) { Delay = TimeSpan.FromMilliseconds(50) };
        Task<PeerLookupResult> none = new LookupRunner([empty], _clock).LookupPeersAsync(Target, null, CancellationToken.None);
        Finish(none);
        Assert.That(none.Result.Report.FirstPeerAfter, Is.Null, "no peer, no time");
        Assert.That(none.Result.Report.ClosestAnsweredAfter, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
    }
}
