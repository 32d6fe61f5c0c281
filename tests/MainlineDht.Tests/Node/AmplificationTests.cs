using System.Net;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// A source that never answered a query of ours (it may be spoofed: a victim's address) gets replies
/// of at most 4 times its query's size, whatever it asks; a verified node gets the full reply. The
/// node under test has a full routing table, 300 peers for one infohash and 60 infohashes stored.
/// </summary>
public sealed class AmplificationTests
{
    private const string InfoHash = "mnopqrstuvwxyz123456";
    private static readonly IPEndPoint Stranger = new(IPAddress.Parse("127.0.0.250"), 7250);

    private readonly VirtualTimeProvider _clock = new();
    private ScriptedTransport _transport = null!;
    private DhtNode _node = null!;

    /// <summary>The queries measured, as a querier would send them (no <c>v</c>: the smallest query of its kind).</summary>
    public static IEnumerable<TestCaseData> Queries()
    {
        const string Id = "abcdefghij0123456789";
        const string Target = "mnopqrstuvwxyz123456";
        yield return new TestCaseData($"d1:ad2:id20:{Id}e1:q4:ping1:t2:aa1:y1:qe").SetName("ping");
        yield return new TestCaseData($"d1:ad2:id20:{Id}6:target20:{Target}e1:q9:find_node1:t2:aa1:y1:qe").SetName("find_node");
        yield return new TestCaseData($"d1:ad2:id20:{Id}6:target20:{Target}4:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe").SetName("find_node want n4 n6");
        yield return new TestCaseData($"d1:ad2:id20:{Id}9:info_hash20:{InfoHash}e1:q9:get_peers1:t2:aa1:y1:qe").SetName("get_peers with values");
        yield return new TestCaseData($"d1:ad2:id20:{Id}9:info_hash20:{InfoHash}6:scrapei1ee1:q9:get_peers1:t2:aa1:y1:qe").SetName("get_peers with scrape");
        yield return new TestCaseData($"d1:ad2:id20:{Id}6:target20:{Target}e1:q17:sample_infohashes1:t2:aa1:y1:qe").SetName("sample_infohashes");
        yield return new TestCaseData($"d1:ad2:id20:{Id}6:target20:{Target}e1:q3:get1:t2:aa1:y1:qe").SetName("get");
        yield return new TestCaseData($"d1:ad2:id20:{Id}9:info_hash20:{InfoHash}4:porti1e5:token2:xxe1:q13:announce_peer1:t2:aa1:y1:qe").SetName("announce_peer with a bad token");
        yield return new TestCaseData($"d1:ad2:id20:{Id}6:target20:{Target}e1:q4:vote1:t2:aa1:y1:qe").SetName("unknown method with a target");
        yield return new TestCaseData($"d1:ad2:id20:{Id}e1:q3:foo1:t2:aa1:y1:qe").SetName("unknown method");
        yield return new TestCaseData("d1:q4:ping1:t2:aa1:y1:qe").SetName("malformed query");
    }

    [SetUp]
    public void StartNode() => StartNode(amplificationLimit: 4);

    private void StartNode(int amplificationLimit)
    {
        _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        _node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = _clock,
                RandomSeed = 1,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 0,
                ReplyBytesPerSecond = 0,
                AmplificationLimit = amplificationLimit,
            },
            _transport);
        _node.Start();

        // 16 verified nodes: each queries us, we ping it to verify it, it answers.
        for (int i = 0; i < 16; i++)
        {
            Verify(NodeId.CreateRandom(new Random(100 + i)), new IPEndPoint(IPAddress.Parse($"127.0.1.{i + 1}"), 6881));
        }

        Assert.That(_node.GetStatistics().RoutingTableSize, Is.GreaterThanOrEqualTo(8));

        // 300 peers of one infohash, and 60 infohashes.
        for (int i = 0; i < 300; i++)
        {
            Announce(InfoHash, new IPEndPoint(IPAddress.Parse($"127.0.{2 + (i / 250)}.{(i % 250) + 1}"), 6881));
        }

        for (int i = 0; i < 60; i++)
        {
            Announce(Text(NodeId.CreateRandom(new Random(1000 + i)).ToArray()), new IPEndPoint(IPAddress.Parse("127.0.9.1"), 6881));
        }
    }

    [TearDown]
    public async Task StopNode() => await _node.DisposeAsync();

    private void Verify(NodeId id, IPEndPoint endPoint)
    {
        int before = _transport.Sent.Count;
        Assert.That(_transport.Exchange(Latin1($"d1:ad2:id20:{Text(id.ToArray())}e1:q4:ping1:t2:zz1:y1:qe"), endPoint), Is.Not.Null);
        (byte[] ping, _) = _transport.Sent.Skip(before).Single(s => s.Destination.Equals(endPoint) && KrpcCodec.Decode(s.Datagram) is PingQuery);
        string t = Text(((KrpcQuery)KrpcCodec.Decode(ping)).TransactionId.Span);
        _transport.Exchange(Latin1($"d1:rd2:id20:{Text(id.ToArray())}e1:t{t.Length}:{t}1:y1:re"), endPoint);
    }

    private void Announce(string infoHash, IPEndPoint from)
    {
        var reply = (KrpcResponse)KrpcCodec.Decode(_transport.Exchange(Latin1($"d1:ad2:id20:abcdefghij01234567899:info_hash20:{infoHash}e1:q9:get_peers1:t2:tk1:y1:qe"), from)!);
        string token = Text(reply.Token.Span);
        byte[]? ok = _transport.Exchange(Latin1($"d1:ad2:id20:abcdefghij01234567899:info_hash20:{infoHash}4:porti6881e5:token{token.Length}:{token}e1:q13:announce_peer1:t2:an1:y1:qe"), from);
        Assert.That(KrpcCodec.Decode(ok!), Is.InstanceOf<KrpcResponse>());
    }

    [TestCaseSource(nameof(Queries))]
    public void A_never_verified_source_gets_at_most_four_times_its_query(string query)
    {
        byte[] datagram = Latin1(query);
        byte[]? reply = _transport.Exchange(datagram, Stranger);

        Assert.That(reply, Is.Not.Null, "it is still answered");
        double factor = (double)reply!.Length / datagram.Length;
        TestContext.Out.WriteLine($"{TestContext.CurrentContext.Test.Name}: query {datagram.Length} B, reply {reply.Length} B, factor {factor:0.00}");
        Assert.That(factor, Is.LessThanOrEqualTo(4.0));
    }

    [Test]
    public void What_is_cut_for_a_stranger_is_there_for_a_verified_node()
    {
        string verifiedId = Text(NodeId.CreateRandom(new Random(100)).ToArray()); // the first node SetUp verified
        var verified = new IPEndPoint(IPAddress.Parse("127.0.1.1"), 6881);
        string getPeers = $"d1:ad2:id20:{verifiedId}9:info_hash20:{InfoHash}e1:q9:get_peers1:t2:aa1:y1:qe";

        var full = (KrpcResponse)KrpcCodec.Decode(_transport.Exchange(Latin1(getPeers), verified)!);
        var cut = (KrpcResponse)KrpcCodec.Decode(_transport.Exchange(Latin1(getPeers), Stranger)!);

        Assert.That(full.Values.Count, Is.GreaterThan(100), "a verified node gets values up to the 1,200-byte budget");
        Assert.That(cut.Values.Count, Is.InRange(1, full.Values.Count / 4), "a stranger gets what fits four times its query");
        Assert.That(cut.Nodes.Length, Is.EqualTo(8 * CompactFormat.NodeV4Size), "nodes come before values");
    }

    /// <summary>A query with <c>pad</c> zero bytes (sorted among the arguments), as <see cref="KrpcQuery.Padding"/> writes it.</summary>
    private static byte[] Padded(string before, string after, int padding = 200) =>
        Latin1($"{before}3:pad{padding}:{new string('\0', padding)}{after}");

    [Test]
    public void Scrape_filters_go_to_a_stranger_whole_when_its_query_pays_for_them()
    {
        const string Head = "d1:ad2:id20:abcdefghij01234567899:info_hash20:" + InfoHash;
        const string Tail = "6:scrapei1ee1:q9:get_peers1:t2:aa1:y1:qe";
        byte[] plain = Latin1(Head + Tail);
        byte[] padded = Padded(Head, Tail);

        var cut = (KrpcResponse)KrpcCodec.Decode(_transport.Exchange(plain, Stranger)!);
        long cuts = _node.GetStatistics().RepliesCut;
        byte[] reply = _transport.Exchange(padded, Stranger)!;
        var whole = (KrpcResponse)KrpcCodec.Decode(reply);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((cut.SeedsFilter.Length, cut.PeersFilter.Length), Is.EqualTo((0, 0)), "512 bytes of filters do not fit 4 times 106");
            Assert.That(cuts, Is.EqualTo(1), "the cut is counted");
            Assert.That((whole.SeedsFilter.Length, whole.PeersFilter.Length), Is.EqualTo((256, 256)), "a padded scrape gets them whole");
            Assert.That((double)reply.Length / padded.Length, Is.LessThanOrEqualTo(4.0));
        }

        TestContext.Out.WriteLine($"get_peers scrape, padded: query {padded.Length} B, reply {reply.Length} B, factor {(double)reply.Length / padded.Length:0.00}");
    }

    [Test]
    public void A_BEP_44_item_goes_to_a_stranger_whole_when_its_query_pays_for_it()
    {
        // An immutable item of the largest size (a 996-byte string: 1,000 bytes bencoded).
        string value = "996:" + new string('x', 996);
        string target = Text(System.Security.Cryptography.SHA1.HashData(Latin1(value)));
        var putter = new IPEndPoint(IPAddress.Parse("127.0.8.1"), 6881);
        var got = (KrpcResponse)KrpcCodec.Decode(_transport.Exchange(Latin1($"d1:ad2:id20:abcdefghij01234567896:target20:{target}e1:q3:get1:t2:tk1:y1:qe"), putter)!);
        string token = Text(got.Token.Span);
        Assert.That(KrpcCodec.Decode(_transport.Exchange(Latin1($"d1:ad2:id20:abcdefghij01234567895:token{token.Length}:{token}1:v{value}e1:q3:put1:t2:pt1:y1:qe"), putter)!), Is.InstanceOf<KrpcResponse>());

        string head = "d1:ad2:id20:abcdefghij0123456789", tail = $"6:target20:{target}e1:q3:get1:t2:aa1:y1:qe";
        byte[] plain = Latin1(head + tail);
        byte[] padded = Padded(head, tail);
        byte[] cutReply = _transport.Exchange(plain, Stranger)!;
        byte[] reply = _transport.Exchange(padded, Stranger)!;
        var cut = (KrpcResponse)KrpcCodec.Decode(cutReply);
        var whole = (KrpcResponse)KrpcCodec.Decode(reply);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cut.Value.Length, Is.Zero, "1,000 bytes do not fit 4 times 86: left out whole");
            Assert.That(cut.Token.Length, Is.GreaterThan(0), "the token is still there");
            Assert.That((double)cutReply.Length / plain.Length, Is.LessThanOrEqualTo(4.0));
            Assert.That(whole.Value.Length, Is.EqualTo(1000));
            Assert.That((double)reply.Length / padded.Length, Is.LessThanOrEqualTo(4.0));
            Assert.That(reply.Length, Is.LessThanOrEqualTo(ReplyBuilder.Budget));
        }

        TestContext.Out.WriteLine($"get with a 1,000-byte item, padded: query {padded.Length} B, reply {reply.Length} B, factor {(double)reply.Length / padded.Length:0.00}");
    }

    [Test]
    public void A_crawler_that_pads_its_query_gets_the_whole_sample_and_nodes()
    {
        // Crawlers are read-only (BEP 43): no node ever verifies them. Our crawler pads its queries.
        const string Head = "d1:ad2:id20:abcdefghij0123456789";
        const string Tail = "6:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:aa1:y1:qe";
        byte[] padded = Padded(Head, Tail);

        byte[] reply = _transport.Exchange(padded, Stranger)!;

        var response = (KrpcResponse)KrpcCodec.Decode(reply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Samples.Length, Is.EqualTo(ReplyBuilder.MaxSamples * NodeId.Size), "40 of the 61 infohashes stored");
            Assert.That(response.Num, Is.EqualTo(61));
            Assert.That(response.Nodes.Length, Is.EqualTo(8 * CompactFormat.NodeV4Size));
            Assert.That((double)reply.Length / padded.Length, Is.LessThanOrEqualTo(4.0));
        }

        TestContext.Out.WriteLine($"sample_infohashes, padded: query {padded.Length} B, reply {reply.Length} B, factor {(double)reply.Length / padded.Length:0.00}");
    }

    [Test]
    public async Task Without_the_limit_a_stranger_gets_thirteen_times_its_get_peers()
    {
        // What every reply was before the limit (AmplificationLimit = 0 restores it).
        await _node.DisposeAsync();
        StartNode(amplificationLimit: 0);
        const string GetPeers = $"d1:ad2:id20:abcdefghij01234567899:info_hash20:{InfoHash}e1:q9:get_peers1:t2:aa1:y1:qe";

        byte[] reply = _transport.Exchange(Latin1(GetPeers), Stranger)!;

        TestContext.Out.WriteLine($"query {GetPeers.Length} B, reply {reply.Length} B, factor {(double)reply.Length / GetPeers.Length:0.0}");
        Assert.That((double)reply.Length / GetPeers.Length, Is.GreaterThan(10));
    }
}
