using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The lookup runner over fake networks (no sockets): an announce goes to the token-givers among
/// the K closest only, and a lookup over two address families merges both families' results.
/// </summary>
public sealed class LookupRunnerTests
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    private readonly VirtualTimeProvider _clock = new();

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    private static IPEndPoint At6(int last) => new(IPAddress.Parse($"fd00::{last:x}"), 6881);

    private static NodeId Id(int firstByte) => NodeId.Parse($"{firstByte:x2}" + new string('0', 38));

    private FakeLookupNetwork V4() => new(AddressFamily.InterNetwork, Self, _clock);

    private FakeLookupNetwork V6() => new(AddressFamily.InterNetworkV6, Self, _clock);

    private T Run<T>(Task<T> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the lookup did not end");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Three far nodes (0x60…, 0x61…, 0x62…; with tokens) are the start; they return twelve near ones,
    /// 0x01… to 0x0c…, of which the odd ones give a token.
    /// </summary>
    private static FakeLookupNetwork WithTokenGivers(FakeLookupNetwork network, Func<int, IPEndPoint> at)
    {
        NodeInfo[] near = [.. Enumerable.Range(1, 12).Select(i => new NodeInfo(Id(i), at(i)))];
        bool v6 = network.Family == AddressFamily.InterNetworkV6;
        for (int i = 0x60; i <= 0x62; i++)
        {
            network.Nodes[at(i)] = new FakeNode(Id(i)) { Nodes = v6 ? [] : near, Nodes6 = v6 ? near : [], Token = [(byte)i] };
            network.Starting((Id(i), at(i)));
        }

        for (int i = 1; i <= 12; i++)
        {
            network.Nodes[at(i)] = new FakeNode(Id(i)) { Token = i % 2 == 1 ? [(byte)i] : null };
        }

        return network;
    }

    [Test]
    public void An_announce_goes_only_to_the_token_givers_among_the_k_closest()
    {
        FakeLookupNetwork network = WithTokenGivers(V4(), At);
        network.Nodes[At(5)] = network.Nodes[At(5)] with { RefusesAnnounce = true };
        var runner = new LookupRunner([network], _clock);

        LookupReport report = Run(runner.AnnounceAsync(Target, 6889, impliedPort: false, _ => 7000, CancellationToken.None));

        List<(AnnouncePeerQuery Query, IPEndPoint EndPoint)> announces = network.SentOf<AnnouncePeerQuery>();
        Assert.That(announces.Select(a => a.EndPoint), Is.EquivalentTo(new[] { At(1), At(3), At(5), At(7) }), "the K closest are 0x01…0x08; of those, the odd ones gave a token");
        Assert.That(announces.Select(a => a.Query.Token.ToArray()[0]), Is.EquivalentTo(new byte[] { 1, 3, 5, 7 }), "each with its own token");
        Assert.That(announces.Select(a => (a.Query.Port, a.Query.ImpliedPort, a.Query.InfoHash)), Is.All.EqualTo((6889, false, Target)));
        Assert.That(report.AnnouncedTo.Select(n => n.Id), Is.EqualTo(new[] { Id(1), Id(3), Id(7) }), "0x05… refused it");
        Assert.That(report.ClosestNodes.Select(n => n.Id), Is.EqualTo(Enumerable.Range(1, 8).Select(Id)));
    }

    [TestCase(0, 7000, TestName = "implied_port with no port sends the network's own UDP port")]
    [TestCase(6889, 6889, TestName = "implied_port with a valid port sends that port")]
    public void Implied_port_still_sends_a_port(int port, int sent)
    {
        FakeLookupNetwork network = WithTokenGivers(V4(), At);
        var runner = new LookupRunner([network], _clock);

        Run(runner.AnnounceAsync(Target, port, impliedPort: true, n => n == network ? 7000 : -1, CancellationToken.None));

        Assert.That(network.SentOf<AnnouncePeerQuery>().Select(a => (a.Query.Port, a.Query.ImpliedPort)), Is.All.EqualTo((sent, true)));
    }

    [Test]
    public void A_get_peers_lookup_over_two_families_merges_both()
    {
        IPEndPoint peer4 = new(IPAddress.Parse("10.0.0.4"), 4004), peer6 = new(IPAddress.Parse("fd01::6"), 6006), both = new(IPAddress.Parse("10.0.0.8"), 8008);
        FakeLookupNetwork v4 = V4().Starting((Id(2), At(2)), (Id(4), At(4)));
        v4.Nodes[At(2)] = new FakeNode(Id(2)) { Values = [peer4, both] };
        v4.Nodes[At(4)] = new FakeNode(Id(4)) { Delay = TimeSpan.FromMilliseconds(100) };

        // IPv6: a chain of two (0x05… returns 0x01… in nodes6, and an IPv4 node in nodes that is not followed), slower.
        FakeLookupNetwork v6 = V6().Starting((Id(5), At6(5)), (Id(3), At6(3)));
        v6.Nodes[At6(5)] = new FakeNode(Id(5)) { Nodes6 = [new NodeInfo(Id(1), At6(1))], Nodes = [new NodeInfo(Id(9), At(9))], Delay = TimeSpan.FromMilliseconds(100) };
        v6.Nodes[At6(3)] = new FakeNode(Id(3)) { Values = [peer6, both], Delay = TimeSpan.FromMilliseconds(100) };
        v6.Nodes[At6(1)] = new FakeNode(Id(1)) { Delay = TimeSpan.FromMilliseconds(200) };
        var runner = new LookupRunner([v4, v6], _clock);

        PeerLookupResult result = Run(runner.LookupPeersAsync(Target, null, CancellationToken.None));

        Assert.That(result.Peers, Is.EquivalentTo(new[] { peer4, peer6, both }), "peers of both families, each once");
        LookupReport report = result.Report;
        Assert.That(report.PeersFound, Is.EqualTo(3));
        Assert.That(
            report.ClosestNodes,
            Is.EqualTo(new[] { new NodeInfo(Id(1), At6(1)), new NodeInfo(Id(2), At(2)), new NodeInfo(Id(3), At6(3)), new NodeInfo(Id(4), At(4)), new NodeInfo(Id(5), At6(5)) }),
            "the closest of both families, nearest first");
        Assert.That((report.NodesQueried, report.Replies, report.Timeouts, report.Errors), Is.EqualTo((5, 5, 0, 0)), "counts summed");
        Assert.That(report.RoundTrips, Is.EqualTo(2), "the longer chain (IPv6)");
        Assert.That(report.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(300)), "the wall time of the whole: the slower family");
        Assert.That(v4.Sent.Select(s => s.EndPoint).Concat(v6.Sent.Select(s => s.EndPoint)), Does.Not.Contain(At(9)));
        Assert.That(v4.SentOf<GetPeersQuery>().Select(s => s.Query.Want), Is.All.EqualTo(WantFamilies.IPv4));
        Assert.That(v6.SentOf<GetPeersQuery>().Select(s => s.Query.Want), Is.All.EqualTo(WantFamilies.IPv6));
    }

    [Test]
    public void An_announce_over_two_families_goes_to_the_k_closest_token_givers_of_each()
    {
        FakeLookupNetwork v4 = WithTokenGivers(V4(), At);
        FakeLookupNetwork v6 = WithTokenGivers(V6(), At6);
        var runner = new LookupRunner([v4, v6], _clock);

        LookupReport report = Run(runner.AnnounceAsync(Target, 6889, impliedPort: false, _ => 7000, CancellationToken.None));

        Assert.That(v4.SentOf<AnnouncePeerQuery>().Select(a => a.EndPoint), Is.EquivalentTo(new[] { At(1), At(3), At(5), At(7) }));
        Assert.That(v6.SentOf<AnnouncePeerQuery>().Select(a => a.EndPoint), Is.EquivalentTo(new[] { At6(1), At6(3), At6(5), At6(7) }));
        Assert.That(report.AnnouncedTo, Has.Count.EqualTo(8));
        Assert.That(report.AnnouncedTo.Select(n => n.EndPoint), Is.EquivalentTo(new[] { At(1), At(3), At(5), At(7), At6(1), At6(3), At6(5), At6(7) }));
        Assert.That(report.ClosestNodes, Has.Count.EqualTo(2 * Traversal.K), "K of each family");
    }

    [Test]
    public void Seeds_replace_the_starting_candidates_and_go_to_the_network_of_their_family()
    {
        FakeLookupNetwork v4 = V4().Starting((Id(7), At(7)));
        FakeLookupNetwork v6 = V6().Starting((Id(7), At6(7)));
        v4.Nodes[At(1)] = new FakeNode(Id(1));
        v6.Nodes[At6(1)] = new FakeNode(Id(1));
        var runner = new LookupRunner([v4, v6], _clock);

        LookupReport report = Run(runner.FindNodeAsync(Target, [(null, At(1)), (null, At6(1))], CancellationToken.None));

        Assert.That(v4.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At(1) }));
        Assert.That(v6.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At6(1) }));
        Assert.That(report.ClosestNodes.Select(n => n.EndPoint), Is.EquivalentTo(new[] { At(1), At6(1) }));
    }

    [Test]
    public void Without_seeds_each_family_starts_from_its_starting_candidates()
    {
        FakeLookupNetwork v4 = V4().Starting((Id(7), At(7)));
        v4.Nodes[At(7)] = new FakeNode(Id(7));
        var runner = new LookupRunner([v4], _clock);

        LookupReport report = Run(runner.FindNodeAsync(Target, null, CancellationToken.None));

        Assert.That(v4.Sent.Select(s => (s.EndPoint, s.ExpectedId)), Is.EqualTo(new[] { (At(7), (NodeId?)Id(7)) }));
        Assert.That(report.ClosestNodes, Is.EqualTo(new[] { new NodeInfo(Id(7), At(7)) }));
        Assert.That(report.Target, Is.EqualTo(Target));
    }
    [Test]
    public void A_traced_lookup_records_every_query_with_its_round_distance_round_trip_and_reply()
    {
        IPEndPoint peer = new(IPAddress.Parse("10.0.0.4"), 4004);
        FakeLookupNetwork v4 = V4().Starting((null, At(0x60)), (Id(0x70), At(0x70)));
        v4.Nodes[At(0x60)] = new FakeNode(Id(0x60)) { Nodes = [new NodeInfo(Id(1), At(1)), new NodeInfo(Id(2), At(2))], Delay = TimeSpan.FromMilliseconds(30) };
        v4.Nodes[At(1)] = new FakeNode(Id(1)) { Values = [peer], Delay = TimeSpan.FromMilliseconds(40) };
        v4.Nodes[At(2)] = new FakeNode(Id(2)) { Delay = TimeSpan.FromMilliseconds(50) };
        // 0x70… (At(0x70)) is not there: it turns slow after 1 s and the lookup ends without it.
        var runner = new LookupRunner([v4], _clock) { Trace = true };

        PeerLookupResult result = Run(runner.LookupPeersAsync(Target, null, CancellationToken.None));

        LookupReport report = result.Report;
        Assert.That(report.Trace, Has.Count.EqualTo(report.NodesQueried), "one entry per query counted");
        Assert.That(report.Trace.Select(e => e.EndPoint), Is.EquivalentTo(v4.Sent.Select(s => s.EndPoint)));
        LookupTraceEntry first = report.Trace.Single(e => e.EndPoint.Equals(At(0x60)));
        Assert.That(first, Is.EqualTo(new LookupTraceEntry
        {
            Round = 1, Id = Id(0x60), EndPoint = At(0x60), SharedPrefixBits = 1, SentAfter = TimeSpan.Zero,
            Status = RpcStatus.Response, RoundTripTime = TimeSpan.FromMilliseconds(30), NodesReturned = 2, ValuesReturned = 0,
        }), "asked by address alone; the id it answered with gives the distance (0x60 = 0110 0000: one bit shared with zero)");
        LookupTraceEntry near = report.Trace.Single(e => e.EndPoint.Equals(At(1)));
        Assert.That((near.Round, near.Id, near.SharedPrefixBits, near.SentAfter, near.Status, near.RoundTripTime, near.ValuesReturned),
            Is.EqualTo((2, (NodeId?)Id(1), (int?)7, TimeSpan.FromMilliseconds(30), (RpcStatus?)RpcStatus.Response, (TimeSpan?)TimeSpan.FromMilliseconds(40), 1)));
        LookupTraceEntry silent = report.Trace.Single(e => e.EndPoint.Equals(At(0x70)));
        Assert.That((silent.Round, silent.Id, silent.SharedPrefixBits, silent.Status, silent.RoundTripTime, silent.NodesReturned), Is.EqualTo((1, (NodeId?)Id(0x70), (int?)1, (RpcStatus?)null, (TimeSpan?)null, 0)),
            "no answer before the lookup ended: no status");
        Assert.That(report.Trace.Select(e => e.SentAfter), Is.Ordered, "in the order sent");
    }

    [Test]
    public void A_traced_lookup_over_two_families_traces_both()
    {
        FakeLookupNetwork v4 = WithTokenGivers(V4(), At);
        FakeLookupNetwork v6 = WithTokenGivers(V6(), At6);
        var runner = new LookupRunner([v4, v6], _clock) { Trace = true };

        LookupReport report = Run(runner.FindNodeAsync(Target, null, CancellationToken.None));

        Assert.That(report.Trace, Has.Count.EqualTo(report.NodesQueried));
        Assert.That(report.Trace.Count(e => e.EndPoint.AddressFamily == AddressFamily.InterNetworkV6), Is.EqualTo(v6.Sent.Count));
        Assert.That(report.Trace.Where(e => e.Round == 1).Select(e => e.NodesReturned), Is.All.EqualTo(12), "each far node returned the twelve near ones in its family's key");
        Assert.That(report.Trace.Select(e => e.Status), Is.All.EqualTo(RpcStatus.Response));
    }

    [Test]
    public void An_untraced_lookup_has_an_empty_trace()
    {
        FakeLookupNetwork v4 = WithTokenGivers(V4(), At);
        var runner = new LookupRunner([v4], _clock);

        LookupReport report = Run(runner.FindNodeAsync(Target, null, CancellationToken.None));

        Assert.That(report.NodesQueried, Is.GreaterThan(0));
        Assert.That(report.Trace, Is.Empty);
    }
}
