using System.Net;
using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// BEP 44 <c>get</c> and <c>put</c> served by a node, byte for byte, on a transport with no network
/// behind it: the reply to a get with an immutable item, with a mutable item, with a <c>seq</c> the
/// querier already has, and every error code a put can get.
/// </summary>
public sealed class ItemQueryTests
{
    private const string Version = "MD\u0000\u0001";
    private const string Querier = "abcdefghij0123456789";
    private static readonly NodeId NodeId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly IPEndPoint Alice = new(IPAddress.Parse("127.0.0.2"), 7002);
    private static readonly IPEndPoint Bob = new(IPAddress.Parse("127.0.0.3"), 7003);

    /// <summary>BEP 44's test vector key (its signatures are ed25519's; here the fake verifier signs).</summary>
    private static readonly byte[] Key = Hex("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");

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

    private void StartNode(bool verifier = true, int maxItems = 700)
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
                ItemSignatureVerifier = verifier ? new FakeItemSignatures() : null,
                MaxItems = maxItems,
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

    private static string Get(NodeId target, string seq = "", string t = "aa") =>
        $"d1:ad2:id20:{Querier}{seq}6:target20:{Text(target.ToArray())}e1:q3:get1:t{t.Length}:{t}1:y1:qe";

    private static string PutImmutable(string token, string value, string t = "bb") =>
        $"d1:ad2:id20:{Querier}5:token{token.Length}:{token}1:v{value}e1:q3:put1:t{t.Length}:{t}1:y1:qe";

    private static string PutMutable(string token, string salt, long seq, string value, string? sig = null, long? cas = null, string t = "bb")
    {
        sig ??= Text(FakeItemSignatures.SignItem(Key, Latin1(salt), seq, Latin1(value)));
        string casEntry = cas is long c ? $"3:casi{c}e" : "";
        string saltEntry = salt.Length > 0 ? $"4:salt{salt.Length}:{salt}" : "";
        return $"d1:ad{casEntry}2:id20:{Querier}1:k32:{Text(Key)}{saltEntry}3:seqi{seq}e3:sig64:{sig}5:token{token.Length}:{token}1:v{value}e1:q3:put1:t{t.Length}:{t}1:y1:qe";
    }

    /// <summary>The token the node gives <paramref name="source"/> in a get reply.</summary>
    private string TokenFor(IPEndPoint source) =>
        Text(((KrpcResponse)KrpcCodec.Decode(Latin1(Exchange(Get(NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff"), t: "tk"), source)))).Token.Span);

    private static NodeId MutableTarget(string salt) => ItemTarget.ForMutable(Key, Latin1(salt));

    [Test]
    public void A_get_for_an_item_not_stored_gets_a_token_and_the_nodes_key()
    {
        StartNode();
        string token = TokenFor(Alice);
        Assert.That(token, Has.Length.EqualTo(8));
        string reply = Exchange(Get(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb")), Alice);
        Assert.That(reply, Is.EqualTo(Response(Alice, $"5:nodes0:5:token8:{token}")));
    }

    [Test]
    public void An_immutable_put_is_stored_and_a_get_returns_its_value_verbatim()
    {
        StartNode();
        string put = Exchange(PutImmutable(TokenFor(Bob), "12:Hello World!"), Bob);
        Assert.That(put, Is.EqualTo(Response(Bob, "", "bb")));

        // BEP 44's vector: the target of "12:Hello World!".
        string token = TokenFor(Alice);
        string get = Exchange(Get(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb")), Alice);
        Assert.That(get, Is.EqualTo(Response(Alice, $"5:nodes0:5:token8:{token}1:v12:Hello World!")));

        DhtNodeStatistics stats = _node.GetStatistics();
        Assert.That((stats.StoredItems, stats.ItemsAccepted), Is.EqualTo((1, 1L)));
    }

    [Test]
    public void A_mutable_put_is_stored_and_a_get_returns_key_seq_signature_and_value_but_not_the_salt()
    {
        StartNode();
        string sig = Text(FakeItemSignatures.SignItem(Key, "foobar"u8, 1, "12:Hello World!"u8));
        Assert.That(Exchange(PutMutable(TokenFor(Bob), "foobar", 1, "12:Hello World!"), Bob), Is.EqualTo(Response(Bob, "", "bb")));

        string token = TokenFor(Alice);
        string get = Exchange(Get(MutableTarget("foobar")), Alice);
        Assert.That(get, Is.EqualTo(Response(Alice, $"1:k32:{Text(Key)}5:nodes0:3:seqi1e3:sig64:{sig}5:token8:{token}1:v12:Hello World!")));
    }

    [Test]
    public void A_get_whose_seq_is_not_older_than_the_stored_one_gets_the_seq_only()
    {
        StartNode();
        Exchange(PutMutable(TokenFor(Bob), "", 5, "5:hello"), Bob);
        string token = TokenFor(Alice);
        string sig = Text(FakeItemSignatures.SignItem(Key, [], 5, "5:hello"u8));

        Assert.That(Exchange(Get(MutableTarget(""), "3:seqi5e"), Alice), Is.EqualTo(Response(Alice, $"5:nodes0:3:seqi5e5:token8:{token}")));
        Assert.That(Exchange(Get(MutableTarget(""), "3:seqi9e"), Alice), Is.EqualTo(Response(Alice, $"5:nodes0:3:seqi5e5:token8:{token}")));
        Assert.That(Exchange(Get(MutableTarget(""), "3:seqi4e"), Alice),
            Is.EqualTo(Response(Alice, $"1:k32:{Text(Key)}5:nodes0:3:seqi5e3:sig64:{sig}5:token8:{token}1:v5:hello")));
    }

    [Test]
    public void A_put_with_a_token_that_is_not_ours_gets_203_and_stores_nothing()
    {
        StartNode();
        string bobsToken = TokenFor(Bob);
        Assert.That(Exchange(PutImmutable(bobsToken, "5:hello"), Alice), Is.EqualTo(Error(Alice, 203, "bad token", "bb")));
        Assert.That(Exchange(PutImmutable("notatokn", "5:hello"), Alice), Is.EqualTo(Error(Alice, 203, "bad token", "bb")));
        Assert.That(_node.GetStatistics().StoredItems, Is.Zero);
    }

    [Test]
    public void A_value_over_1000_bytes_gets_205()
    {
        StartNode();
        string value = $"998:{new string('x', 998)}"; // 1002 bytes of bencode
        Assert.That(Exchange(PutImmutable(TokenFor(Alice), value), Alice), Is.EqualTo(Error(Alice, 205, "'v' is larger than 1000 bytes", "bb")));
        Assert.That(_node.GetStatistics().StoredItems, Is.Zero);
    }

    [Test]
    public void A_salt_over_64_bytes_gets_207()
    {
        StartNode();
        Assert.That(Exchange(PutMutable(TokenFor(Alice), new string('s', 65), 1, "5:hello"), Alice), Is.EqualTo(Error(Alice, 207, "'salt' is larger than 64 bytes", "bb")));
    }

    [Test]
    public void A_signature_that_does_not_verify_gets_206()
    {
        StartNode();
        string wrong = Text(FakeItemSignatures.SignItem(Key, [], 2, "5:hello"u8)); // signs seq 2, put says 1
        Assert.That(Exchange(PutMutable(TokenFor(Alice), "", 1, "5:hello", sig: wrong), Alice), Is.EqualTo(Error(Alice, 206, "invalid signature", "bb")));
        Assert.That(_node.GetStatistics().StoredItems, Is.Zero);
    }

    [Test]
    public void A_cas_that_is_not_the_stored_seq_gets_301_and_the_stored_seq_gets_through()
    {
        StartNode();
        Exchange(PutMutable(TokenFor(Bob), "", 3, "5:three"), Bob);
        string token = TokenFor(Alice);
        Assert.That(Exchange(PutMutable(token, "", 4, "4:four", cas: 2), Alice),
            Is.EqualTo(Error(Alice, 301, "the CAS hash mismatched, re-read value and try again", "bb")));
        Assert.That(Exchange(PutMutable(token, "", 4, "4:four", cas: 3), Alice), Is.EqualTo(Response(Alice, "", "bb")));
    }

    [Test]
    public void A_lower_seq_and_an_equal_seq_with_another_value_get_302()
    {
        StartNode();
        string token = TokenFor(Alice);
        Exchange(PutMutable(token, "", 7, "5:seven"), Alice);
        Assert.That(Exchange(PutMutable(token, "", 6, "3:six"), Alice), Is.EqualTo(Error(Alice, 302, "sequence number less than current", "bb")));
        Assert.That(Exchange(PutMutable(token, "", 7, "5:other"), Alice),
            Is.EqualTo(Error(Alice, 302, "sequence number equal to current with a different value", "bb")));
        Assert.That(Exchange(PutMutable(token, "", 7, "5:seven"), Alice), Is.EqualTo(Response(Alice, "", "bb")), "the same put again refreshes it");
    }

    [Test]
    public void A_node_without_a_signature_verifier_refuses_mutable_puts_with_202_and_stores_immutable_ones()
    {
        StartNode(verifier: false);
        string token = TokenFor(Alice);
        Assert.That(Exchange(PutMutable(token, "", 1, "5:hello"), Alice),
            Is.EqualTo(Error(Alice, 202, "mutable items are not stored by this node (no signature verifier)", "bb")));
        Assert.That(Exchange(PutImmutable(token, "5:hello"), Alice), Is.EqualTo(Response(Alice, "", "bb")));
        Assert.That(_node.GetStatistics().StoredItems, Is.EqualTo(1));
    }

    [Test]
    public void A_mutable_put_missing_its_signature_is_refused_with_203_never_stored_as_immutable()
    {
        StartNode();
        string token = TokenFor(Alice);
        string put = $"d1:ad2:id20:{Querier}1:k32:{Text(Key)}3:seqi1e5:token8:{token}1:v5:helloe1:q3:put1:t2:bb1:y1:qe";
        Assert.That(Exchange(put, Alice), Is.EqualTo(Error(Alice, 203, "a mutable item needs a 32-byte 'k', a 64-byte 'sig' and 'seq'", "bb")));
        Assert.That(_node.GetStatistics().StoredItems, Is.Zero);
    }

    [Test]
    public void Items_past_their_lifetime_are_no_longer_served_and_the_upkeep_frees_them()
    {
        _warnings.Clear();
        var clock = new VirtualTimeProvider();
        _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        _node = new DhtNode(
            new DhtNodeOptions
            {
                NodeId = NodeId, TimeProvider = clock, RandomSeed = 1, UsePublicRouters = false, SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 0, ItemLifetime = TimeSpan.FromMinutes(10), LoggerFactory = new TestLogger(_warnings.Add),
            },
            _transport);
        _node.Start();
        Exchange(PutImmutable(TokenFor(Alice), "5:hello"), Alice);
        NodeId target = ItemTarget.ForImmutable("5:hello"u8);
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.That(Exchange(Get(target), Alice), Does.Contain("1:v5:hello"));
        Assert.That(_node.GetStatistics().StoredItems, Is.EqualTo(1));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(Exchange(Get(target), Alice), Does.Not.Contain("1:v5:hello"));
        Assert.That(_node.GetStatistics().StoredItems, Is.Zero, "the upkeep (every 30 s) dropped it");
    }

    [Test]
    public void The_item_store_holds_MaxItems_and_drops_the_least_recently_put()
    {
        StartNode(maxItems: 2);
        string token = TokenFor(Alice);
        foreach (string value in new[] { "3:one", "3:two", "5:three" })
        {
            Assert.That(Exchange(PutImmutable(token, value), Alice), Is.EqualTo(Response(Alice, "", "bb")));
        }

        Assert.That(_node.GetStatistics().StoredItems, Is.EqualTo(2));
        Assert.That(Exchange(Get(ItemTarget.ForImmutable("3:one"u8)), Alice), Does.Not.Contain("1:v3:one"));
        Assert.That(Exchange(Get(ItemTarget.ForImmutable("3:two"u8)), Alice), Does.Contain("1:v3:two"));
        Assert.That(Exchange(Get(ItemTarget.ForImmutable("5:three"u8)), Alice), Does.Contain("1:v5:three"));
    }

    [Test]
    public void Item_options_are_validated()
    {
        StartNode();
        Assert.That(() => new DhtNodeOptions { MaxItems = 0 }.Validate(), Throws.ArgumentException.With.Message.Contains("MaxItems"));
        Assert.That(() => new DhtNodeOptions { ItemLifetime = TimeSpan.Zero }.Validate(), Throws.ArgumentException.With.Message.Contains("ItemLifetime"));
        var defaults = new DhtNodeOptions();
        Assert.That((defaults.MaxItems, defaults.ItemLifetime, defaults.ItemSignatureVerifier), Is.EqualTo((700, TimeSpan.FromHours(2), (IItemSignatureVerifier?)null)));
    }
}
