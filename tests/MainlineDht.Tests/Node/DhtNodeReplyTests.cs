using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// A node's replies byte for byte, on a transport with no network behind it (queries from any
/// source address, on virtual time): required keys, refused announces, the BEP 42 <c>ip</c> of
/// errors, and what a handler fault leaves behind.
/// </summary>
public sealed class DhtNodeReplyTests
{
    private const string Version = "MD\u0000\u0001";
    private static readonly NodeId NodeId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("127.0.0.2"), 7002);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("127.0.0.3"), 7003);
    private static readonly IPEndPoint Carol = new(IPAddress.Parse("127.0.0.4"), 7004);

    private readonly List<string> _warnings = [];
    private ScriptedTransport _transport = null!;
    private DhtNode _node = null!;

    private static string Id => Text(NodeId.ToArray());

    [TearDown]
    public async Task StopNode()
    {
        await _node.DisposeAsync();
        Assert.That(_warnings, Is.Empty, "no handler fault");
    }

    private void StartNode(int maxInfoHashes = 5000)
    {
        _warnings.Clear();
        _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        _node = new DhtNode(
            new DhtNodeOptions
            {
                NodeId = NodeId,
                TimeProvider = new VirtualTimeProvider(),
                RandomSeed = 1,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 0,
                MaxInfoHashes = maxInfoHashes,
                LoggerFactory = new TestLogger(_warnings.Add),
            },
            _transport);
        _node.Start();
    }

    private static string Ip(IPEndPoint endPoint) => $"2:ip6:{Text(CompactFormat.ToCompactPeer(endPoint))}";

    private string Exchange(string query, IPEndPoint source)
    {
        byte[]? reply = _transport.Exchange(Latin1(query), source);
        Assert.That(reply, Is.Not.Null, "the node did not answer");
        return Text(reply!);
    }

    private static string Response(IPEndPoint to, string body, string t = "aa") =>
        $"d{Ip(to)}1:rd2:id20:{Id}{body}e1:t{t.Length}:{t}1:v4:{Version}1:y1:re";

    private static string Error(IPEndPoint to, int code, string message, string t = "aa") =>
        $"d1:eli{code}e{message.Length}:{message}e{Ip(to)}1:t{t.Length}:{t}1:v4:{Version}1:y1:ee";

    private static string GetPeers(string infoHash, string t = "aa", string extra = "") =>
        $"d1:ad2:id20:abcdefghij0123456789{extra}9:info_hash20:{infoHash}e1:q9:get_peers1:t{t.Length}:{t}1:y1:qe";

    private static string Announce(string infoHash, string token, string t = "bb") =>
        $"d1:ad2:id20:abcdefghij01234567899:info_hash20:{infoHash}4:porti6881e5:token{token.Length}:{token}e1:q13:announce_peer1:t{t.Length}:{t}1:y1:qe";

    private string TokenFor(string infoHash, IPEndPoint source) =>
        Text(((KrpcResponse)KrpcCodec.Decode(Latin1(Exchange(GetPeers(infoHash, "tk"), source)))).Token.Span);

    [Test]
    public void A_fresh_node_answers_find_node_with_an_empty_nodes_key()
    {
        StartNode();
        string reply = Exchange("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe", Alice);
        Assert.That(reply, Is.EqualTo(Response(Alice, "5:nodes0:")));
    }

    [Test]
    public void A_fresh_node_answers_get_peers_with_an_empty_nodes_key_and_a_token()
    {
        StartNode();
        string token = TokenFor("mnopqrstuvwxyz123456", Alice);
        Assert.That(token, Has.Length.EqualTo(8));
        string reply = Exchange(GetPeers("mnopqrstuvwxyz123456"), Alice);
        Assert.That(reply, Is.EqualTo(Response(Alice, $"5:nodes0:5:token8:{token}")));
    }

    [Test]
    public void Get_peers_wanting_both_families_gets_both_keys_even_when_empty()
    {
        StartNode();
        string token = TokenFor("mnopqrstuvwxyz123456", Alice);
        string reply = Exchange(GetPeers("mnopqrstuvwxyz123456", extra: "", t: "aa").Replace("e1:q9:", "4:wantl2:n42:n6ee1:q9:", StringComparison.Ordinal), Alice);
        Assert.That(reply, Is.EqualTo(Response(Alice, $"5:nodes0:6:nodes60:5:token8:{token}")));
    }

    [Test]
    public void Get_peers_with_stored_peers_carries_values_and_still_the_nodes_key()
    {
        StartNode();
        const string infoHash = "mnopqrstuvwxyz123456";
        Exchange(Announce(infoHash, TokenFor(infoHash, Bob)), Bob);
        string token = TokenFor(infoHash, Alice);
        string reply = Exchange(GetPeers(infoHash), Alice);
        string peer = Text(CompactFormat.ToCompactPeer(new IPEndPoint(Bob.Address, 6881)));
        Assert.That(reply, Is.EqualTo(Response(Alice, $"5:nodes0:5:token8:{token}6:valuesl6:{peer}e")));
    }

    [Test]
    public void A_fresh_node_answers_sample_infohashes_with_empty_samples_and_nodes_keys()
    {
        StartNode();
        string reply = Exchange("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:aa1:y1:qe", Alice);
        Assert.That(reply, Is.EqualTo(Response(Alice, "8:intervali300e5:nodes0:3:numi0e7:samples0:")));
    }

    [Test]
    public void An_announce_refused_because_the_store_is_full_gets_202_and_is_not_counted()
    {
        StartNode(maxInfoHashes: 1);
        const string first = "mnopqrstuvwxyz123456";
        const string second = "MNOPQRSTUVWXYZ123456";

        // Two addresses announce the first infohash: it may no longer be displaced by a newcomer.
        Assert.That(Exchange(Announce(first, TokenFor(first, Alice)), Alice), Is.EqualTo(Response(Alice, "", "bb")));
        Assert.That(Exchange(Announce(first, TokenFor(first, Bob)), Bob), Is.EqualTo(Response(Bob, "", "bb")));
        Assert.That(_node.GetStatistics().AnnouncesAccepted, Is.EqualTo(2));

        string refused = Exchange(Announce(second, TokenFor(second, Carol)), Carol);

        Assert.That(refused, Is.EqualTo(Error(Carol, 202, "store full", "bb")));
        DhtNodeStatistics stats = _node.GetStatistics();
        Assert.That(stats.AnnouncesAccepted, Is.EqualTo(2), "a refused announce is not counted as accepted");
        Assert.That(stats.StoredInfoHashes, Is.EqualTo(1));
        Assert.That(stats.StoredPeers, Is.EqualTo(2));
        Assert.That(stats.ErrorsSent[202], Is.EqualTo(1));

        // A peer already stored that announces again is refreshed: accepted.
        Assert.That(Exchange(Announce(first, TokenFor(first, Alice)), Alice), Is.EqualTo(Response(Alice, "", "bb")));
        Assert.That(_node.GetStatistics().AnnouncesAccepted, Is.EqualTo(3));
    }

    [Test]
    public void An_announce_of_an_unusable_peer_address_gets_203_and_is_not_counted()
    {
        StartNode();
        var unspecified = new IPEndPoint(IPAddress.Any, 7005);
        const string infoHash = "mnopqrstuvwxyz123456";
        string refused = Exchange(Announce(infoHash, TokenFor(infoHash, unspecified)), unspecified);
        Assert.That(refused, Is.EqualTo(Error(unspecified, 203, "invalid peer", "bb")));
        Assert.That(_node.GetStatistics().AnnouncesAccepted, Is.Zero);
        Assert.That(_node.GetStatistics().StoredPeers, Is.Zero);
    }

    [TestCase("d1:ad2:id20:abcdefghij0123456789e1:q5:dance1:t2:aa1:y1:qe", 204, "method unknown", TestName = "Unknown method")]
    [TestCase("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", 203, "'id' must be 20 bytes", TestName = "Malformed query")]
    [TestCase("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:notatokne1:q13:announce_peer1:t2:aa1:y1:qe", 203, "bad token", TestName = "Bad token")]
    public void Every_error_reply_carries_the_requesters_address(string query, int code, string message)
    {
        StartNode();
        Assert.That(Exchange(query, Alice), Is.EqualTo(Error(Alice, code, message)));
    }
}
