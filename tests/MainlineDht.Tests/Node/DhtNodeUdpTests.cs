using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>Our node over real UDP on loopback, seen byte for byte by a raw KRPC client.</summary>
[NonParallelizable]
public sealed class DhtNodeUdpTests : GuardedTest
{
    private static readonly byte[] ClientId = Latin1("abcdefghij0123456789");
    private static readonly byte[] InfoHash = Latin1("mnopqrstuvwxyz123456");

    private DhtNode _node = null!;

    [SetUp]
    public async Task StartNode()
    {
        _node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.1"), 0),
            NodeId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567"),
            SendPolicy = NetworkGuard.Policy,
            UsePublicRouters = false,
            QueriesPerSecondPerIp = 0,
        });
    }

    [TearDown]
    public async Task StopNode() => await _node.DisposeAsync();

    private static string Compact(IPEndPoint endPoint) => Text(CompactFormat.ToCompactPeer(endPoint));

    [Test]
    public void Ping_is_answered_with_our_id_the_requesters_address_and_our_version()
    {
        using var client = new RawKrpcClient();
        client.Send(Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"), _node.LocalEndPoint);
        byte[]? reply = client.Receive(TimeSpan.FromSeconds(5));
        Assert.That(reply, Is.Not.Null);
        string id = Text(_node.Id.ToArray());
        string expected = $"d2:ip6:{Compact(client.LocalEndPoint)}1:rd2:id20:{id}e1:t2:aa1:v4:MD\u0000\u00011:y1:re";
        Assert.That(Text(reply!), Is.EqualTo(expected));
    }

    [Test]
    public void Find_node_returns_compact_nodes_from_the_routing_table()
    {
        using var client = new RawKrpcClient();
        var reply = (KrpcResponse)client.Exchange(Latin1("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe"), _node.LocalEndPoint);
        Assert.That(reply.Id, Is.EqualTo(_node.Id));
        Assert.That(Text(reply.TransactionId.Span), Is.EqualTo("aa"));
        Assert.That(reply.Nodes.Length % CompactFormat.NodeV4Size, Is.Zero);
    }

    [Test]
    public void A_fresh_node_answers_find_node_get_peers_and_sample_infohashes_with_the_required_keys_empty()
    {
        using var client = new RawKrpcClient();
        string head = $"d2:ip6:{Compact(client.LocalEndPoint)}1:rd2:id20:{Text(_node.Id.ToArray())}";
        string Tail(string t) => $"e1:t2:{t}1:v4:MD\u0000\u00011:y1:re";

        string findNode = RawExchange(client, Latin1("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:f11:y1:qe"));
        Assert.That(findNode, Is.EqualTo($"{head}5:nodes0:{Tail("f1")}"));

        string getPeers = RawExchange(client, GetPeers("g1"));
        string token = Text(((KrpcResponse)KrpcCodec.Decode(Latin1(getPeers))).Token.Span);
        Assert.That(getPeers, Is.EqualTo($"{head}5:nodes0:5:token{token.Length}:{token}{Tail("g1")}"));

        string samples = RawExchange(client, Latin1("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:s11:y1:qe"));
        Assert.That(samples, Is.EqualTo($"{head}8:intervali300e5:nodes0:3:numi0e7:samples0:{Tail("s1")}"));
    }

    [Test]
    public void An_error_reply_carries_the_requesters_address()
    {
        using var client = new RawKrpcClient();
        string reply = RawExchange(client, Latin1("d1:ad2:id20:abcdefghij0123456789e1:q5:dance1:t2:u11:y1:qe"));
        Assert.That(reply, Is.EqualTo($"d1:eli204e14:method unknowne2:ip6:{Compact(client.LocalEndPoint)}1:t2:u11:v4:MD\u0000\u00011:y1:ee"));
    }

    [Test]
    public void Announce_with_the_token_from_get_peers_makes_the_peer_appear_in_the_next_get_peers()
    {
        using var client = new RawKrpcClient(IPAddress.Parse("127.0.0.2"));
        var first = (KrpcResponse)client.Exchange(GetPeers("t1"), _node.LocalEndPoint);
        Assert.That(first.Token.IsEmpty, Is.False, "get_peers must hand out a write token");
        Assert.That(first.Values.IsEmpty, Is.True);

        var announced = client.Exchange(Announce("t2", first.Token.ToArray(), port: 6881, impliedPort: false), _node.LocalEndPoint);
        Assert.That(announced, Is.InstanceOf<KrpcResponse>());

        var second = (KrpcResponse)client.Exchange(GetPeers("t3"), _node.LocalEndPoint);
        Assert.That(second.Values.ToEndPoints(), Is.EqualTo(new[] { new IPEndPoint(IPAddress.Parse("127.0.0.2"), 6881) }));
        Assert.That(_node.GetStatistics().StoredPeers, Is.EqualTo(1));
    }

    [Test]
    public void Implied_port_stores_the_udp_source_port()
    {
        using var client = new RawKrpcClient(IPAddress.Parse("127.0.0.2"));
        var first = (KrpcResponse)client.Exchange(GetPeers("t1"), _node.LocalEndPoint);
        client.Exchange(Announce("t2", first.Token.ToArray(), port: 1, impliedPort: true), _node.LocalEndPoint);
        var second = (KrpcResponse)client.Exchange(GetPeers("t3"), _node.LocalEndPoint);
        Assert.That(second.Values.ToEndPoints(), Is.EqualTo(new[] { client.LocalEndPoint }));
    }

    [Test]
    public void A_wrong_token_gets_203_and_stores_nothing()
    {
        using var client = new RawKrpcClient();
        var reply = client.Exchange(Announce("t9", Latin1("notatokn"), port: 6881, impliedPort: false), _node.LocalEndPoint);
        Assert.That(reply, Is.InstanceOf<KrpcError>());
        Assert.That(((KrpcError)reply).Code, Is.EqualTo(203));
        Assert.That(Text(reply.TransactionId.Span), Is.EqualTo("t9"));
        Assert.That(_node.GetStatistics().StoredPeers, Is.Zero);
    }

    [Test]
    public void A_token_given_to_another_ip_gets_203_and_stores_nothing()
    {
        using var alice = new RawKrpcClient(IPAddress.Parse("127.0.0.2"));
        using var mallory = new RawKrpcClient(IPAddress.Parse("127.0.0.3"));
        var first = (KrpcResponse)alice.Exchange(GetPeers("t1"), _node.LocalEndPoint);
        var reply = mallory.Exchange(Announce("t2", first.Token.ToArray(), port: 6881, impliedPort: false), _node.LocalEndPoint);
        Assert.That(reply, Is.InstanceOf<KrpcError>().With.Property(nameof(KrpcError.Code)).EqualTo(203));
        Assert.That(_node.GetStatistics().StoredPeers, Is.Zero);
    }

    [Test]
    public void A_datagram_that_is_not_krpc_gets_no_reply()
    {
        using var client = new RawKrpcClient();
        client.Send(Latin1("GET / HTTP/1.1\r\n\r\n"), _node.LocalEndPoint);
        client.Send(Latin1("d1:t2:aa1:y1:re"), _node.LocalEndPoint);
        client.Send(Latin1("li1ei2ee"), _node.LocalEndPoint);
        Assert.That(client.Receive(TimeSpan.FromMilliseconds(300)), Is.Null);
        Assert.That(_node.GetStatistics().MalformedReceived, Is.EqualTo(3));
    }

    [Test]
    public void A_query_with_invalid_arguments_gets_203()
    {
        using var client = new RawKrpcClient();
        var reply = client.Exchange(Latin1("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:xy1:y1:qe"), _node.LocalEndPoint);
        Assert.That(reply, Is.InstanceOf<KrpcError>().With.Property(nameof(KrpcError.Code)).EqualTo(203));
        Assert.That(Text(reply.TransactionId.Span), Is.EqualTo("xy"));
    }

    [Test]
    public void An_unknown_method_gets_204_unless_it_carries_a_target()
    {
        using var client = new RawKrpcClient();
        var unknown = client.Exchange(Latin1("d1:ad2:id20:abcdefghij0123456789e1:q5:dance1:t2:u11:y1:qe"), _node.LocalEndPoint);
        Assert.That(unknown, Is.InstanceOf<KrpcError>().With.Property(nameof(KrpcError.Code)).EqualTo(204));

        var withTarget = client.Exchange(Latin1("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q7:fetch_x1:t2:u21:y1:qe"), _node.LocalEndPoint);
        Assert.That(withTarget, Is.InstanceOf<KrpcResponse>());
    }

    [Test]
    public async Task A_node_that_answered_our_ping_enters_the_routing_table()
    {
        await using DhtNode other = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.4"), 0),
            SendPolicy = NetworkGuard.Policy,
            UsePublicRouters = false,
        });
        RpcResult result = await _node.PingAsync(other.LocalEndPoint);
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(result.Response!.Id, Is.EqualTo(other.Id));
        Assert.That(_node.GetRoutingTable().Select(e => e.Id), Does.Contain(other.Id));
    }

    [Test]
    public async Task A_query_to_a_silent_endpoint_times_out_and_leaves_no_transaction()
    {
        await using DhtNode quick = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0),
            SendPolicy = NetworkGuard.Policy,
            UsePublicRouters = false,
            QueryTimeout = TimeSpan.FromMilliseconds(200),
        });
        using var silent = new RawKrpcClient();
        RpcResult result = await quick.PingAsync(silent.LocalEndPoint);
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Timeout));
        Assert.That(quick.GetStatistics().OutstandingQueries, Is.Zero);
    }

    [Test]
    public async Task A_cancelled_query_completes_as_cancelled_and_leaves_no_transaction()
    {
        using var silent = new RawKrpcClient();
        using var cts = new CancellationTokenSource();
        Task<RpcResult> ping = _node.PingAsync(silent.LocalEndPoint, cts.Token);
        await cts.CancelAsync();
        RpcResult result = await ping;
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Cancelled));
        Assert.That(_node.GetStatistics().OutstandingQueries, Is.Zero);
    }

    [Test]
    public void A_reply_from_another_endpoint_does_not_complete_our_query()
    {
        using var target = new RawKrpcClient(IPAddress.Parse("127.0.0.6"));
        using var forger = new RawKrpcClient(IPAddress.Parse("127.0.0.7"));
        Task<RpcResult> ping = _node.PingAsync(target.LocalEndPoint);
        byte[]? query = target.Receive(TimeSpan.FromSeconds(5));
        Assert.That(query, Is.Not.Null);
        var q = (PingQuery)KrpcCodec.Decode(query!);
        string t = Text(q.TransactionId.Span);
        forger.Send(Latin1($"d1:rd2:id20:forgedforgedforged00e1:t2:{t}1:y1:re"), _node.LocalEndPoint);
        Thread.Yield();
        Assert.That(ping.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "a reply from the wrong endpoint must not match");
        target.Send(Latin1($"d1:rd2:id20:realrealrealrealreale1:t2:{t}1:y1:re"), _node.LocalEndPoint);
        Assert.That(ping.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(ping.Result.Response!.Id, Is.EqualTo(new NodeId(Latin1("realrealrealrealreal"))));
        Assert.That(_node.GetStatistics().UnmatchedReplies, Is.EqualTo(1));
    }

    [Test]
    public void A_flood_of_random_and_mutated_datagrams_leaves_the_node_answering_with_bounded_state()
    {
        var random = new Random(7);
        byte[][] seeds =
        [
            GetPeers("aa"),
            Announce("bb", Latin1("aoeusnth"), 6881, false),
            Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"),
            Latin1("d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"),
        ];
        using var client = new RawKrpcClient(IPAddress.Parse("127.0.0.8"));
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 100_000; i++)
        {
            byte[] datagram;
            if (i % 4 == 0)
            {
                datagram = new byte[random.Next(1, 200)];
                random.NextBytes(datagram);
            }
            else
            {
                datagram = (byte[])seeds[random.Next(seeds.Length)].Clone();
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    datagram[random.Next(datagram.Length)] = (byte)random.Next(256);
                }
            }

            client.Send(datagram, _node.LocalEndPoint);
            if (i % 256 == 0)
            {
                while (client.Receive(TimeSpan.Zero) is not null)
                {
                }
            }
        }

        // The flood may still fill the node's socket buffer, where the kernel drops what does not fit:
        // the probe is sent again every half second until the node answers (at most 30 s).
        using var prober = new RawKrpcClient(IPAddress.Parse("127.0.0.9"));
        KrpcMessage pong = prober.Exchange(Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:zz1:y1:qe"), _node.LocalEndPoint, TimeSpan.FromSeconds(30), resendEvery: TimeSpan.FromMilliseconds(500));
        Assert.That(pong, Is.InstanceOf<KrpcResponse>(), "the node answers a ping after the flood");
        DhtNodeStatistics stats = _node.GetStatistics();
        Assert.That(stats.InternalErrors, Is.Zero);
        Assert.That(stats.StoredPeers, Is.LessThanOrEqualTo(_node.Options.MaxPeersPerInfoHash * _node.Options.MaxInfoHashes));
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.That(after - before, Is.LessThan(64L * 1024 * 1024), "memory grew past 64 MiB under the flood");
    }

    /// <summary>Sends a query and returns the node's reply as sent (its own queries to us, a verification ping, are skipped).</summary>
    private string RawExchange(RawKrpcClient client, byte[] query)
    {
        client.Send(query, _node.LocalEndPoint);
        for (byte[]? reply = client.Receive(TimeSpan.FromSeconds(5)); reply is not null; reply = client.Receive(TimeSpan.FromSeconds(5)))
        {
            if (KrpcCodec.Decode(reply) is not KrpcQuery)
            {
                return Text(reply);
            }
        }

        Assert.Fail("no reply from the node");
        return "";
    }

    private static byte[] GetPeers(string t) =>
        Latin1($"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t{t.Length}:{t}1:y1:qe");

    private static byte[] Announce(string t, byte[] token, int port, bool impliedPort)
    {
        string implied = impliedPort ? "12:implied_porti1e" : "";
        return Latin1($"d1:ad2:id20:abcdefghij0123456789{implied}9:info_hash20:mnopqrstuvwxyz1234564:porti{port}e5:token{token.Length}:{Text(token)}e1:q13:announce_peer1:t{t.Length}:{t}1:y1:qe");
    }
}
