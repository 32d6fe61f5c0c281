using System.Net;
using System.Net.Sockets;
using MainlineDht.Bencode;
using MainlineDht.Items;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Simulation;
using MainlineDht.Storage;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>
/// The reply builder on its own: its size is the encoded size, and what is cut to fit (values,
/// samples) fills the budget exactly, whatever else the reply carries.
/// </summary>
public sealed class ReplyBuilderTests
{
    private static readonly NodeId LocalId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly NodeId InfoHash = NodeId.Parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly IPEndPoint Querier = new(IPAddress.Parse("127.0.0.2"), 7002);
    private static readonly IPEndPoint Querier6 = new(IPAddress.IPv6Loopback, 7002);

    private VirtualTimeProvider _clock = null!;
    private NodeContext _node = null!;
    private ScriptedTransport _transport = null!;
    private FakeHost _host = null!;
    private ReplyBuilder _reply = null!;

    [SetUp]
    public void CreateBuilder()
    {
        _clock = new VirtualTimeProvider();
        var random = new Random(1);
        var options = new DhtNodeOptions { TimeProvider = _clock, UsePublicRouters = false };
        var peers = new PeerStore(new PeerStoreOptions(), random);
        _node = new NodeContext(options, LocalId, random, new WriteTokenManager(_clock.GetUtcNow()), peers);
        _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        _host = new FakeHost();
        _reply = new ReplyBuilder(_node, _host, _transport);
    }

    private byte[] Send(Action build, KrpcQuery query, IPEndPoint source) => Send(build, query, source, ReplyBuilder.Budget, verified: true);

    private byte[] Send(Action build, KrpcQuery query, IPEndPoint source, int limit, bool verified)
    {
        int before = _transport.Sent.Count;
        lock (_node.Gate)
        {
            _reply.Begin(query, source, _clock.GetUtcNow(), limit, verified);
            build();
            _reply.SendResponse();
        }

        _node.Outbox.Flush();
        Assert.That(_transport.Sent, Has.Count.EqualTo(before + 1));
        return _transport.Sent[^1].Datagram;
    }

    private void Store(int count, Func<int, IPEndPoint> peer)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.That(_node.Peers.Announce(InfoHash, peer(i), seed: i % 2 == 0, _clock.GetUtcNow()), Is.AnyOf(AnnounceOutcome.Added, AnnounceOutcome.AddedInfoHash));
        }
    }

    private static GetPeersQuery GetPeers(WantFamilies want = WantFamilies.None) =>
        new() { Id = NodeId.Parse("1111111111111111111111111111111111111111"), InfoHash = InfoHash, Want = want, TransactionId = "aa"u8.ToArray() };

    [Test]
    public void Values_fill_the_budget_and_no_more_beside_nodes_of_both_families_a_token_and_scrape_filters()
    {
        Store(300, i => new IPEndPoint(new IPAddress([10, 1, (byte)(i / 250), (byte)(i % 250 + 1)]), 6881));
        _host.Fill(8);
        byte[] datagram = Send(
            () =>
            {
                _reply.AddToken();
                _reply.AddScrapeFilters(InfoHash);
                _reply.AddNodes(InfoHash, WantFamilies.IPv4 | WantFamilies.IPv6);
                _reply.AddValues(InfoHash, noSeed: false);
            },
            GetPeers(),
            Querier);

        var response = (KrpcResponse)KrpcCodec.Decode(datagram);
        Assert.That(response.Nodes.Length, Is.EqualTo(8 * CompactFormat.NodeV4Size));
        Assert.That(response.Nodes6.Length, Is.EqualTo(8 * CompactFormat.NodeV6Size));
        Assert.That(response.SeedsFilter.Length, Is.EqualTo(ScrapeBloomFilter.Size));
        Assert.That(response.Values.Count, Is.GreaterThan(0));
        Assert.That(datagram.Length, Is.LessThanOrEqualTo(ReplyBuilder.Budget));
        Assert.That(datagram.Length + BencodeWriter.StringSize(CompactFormat.PeerV4Size), Is.GreaterThan(ReplyBuilder.Budget), "one more value would not fit");
    }

    [Test]
    public void Values_are_of_the_requesters_family_and_fill_the_budget_alone()
    {
        Store(100, i => new IPEndPoint(new IPAddress([10, 1, 0, (byte)(i + 1)]), 6881));
        Store(100, i => new IPEndPoint(IPAddress.Parse($"2001:db8::{i + 1:x}"), 6881));
        byte[] datagram = Send(() => _reply.AddValues(InfoHash, noSeed: false), GetPeers(), Querier6);

        var response = (KrpcResponse)KrpcCodec.Decode(datagram);
        Assert.That(response.Values.ToEndPoints().Select(e => e.AddressFamily).Distinct(), Is.EqualTo(new[] { AddressFamily.InterNetworkV6 }));
        Assert.That(datagram.Length, Is.LessThanOrEqualTo(ReplyBuilder.Budget));
        Assert.That(datagram.Length + BencodeWriter.StringSize(CompactFormat.PeerV6Size), Is.GreaterThan(ReplyBuilder.Budget), "one more value would not fit");
    }

    [Test]
    public void Samples_are_cut_to_fit_beside_nodes_of_both_families()
    {
        for (int i = 0; i < 60; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(new Random(i));
            _node.Peers.Announce(infoHash, new IPEndPoint(IPAddress.Parse("10.1.0.1"), 6881), seed: false, _clock.GetUtcNow());
        }

        _host.Fill(8);
        var query = new SampleInfohashesQuery { Id = NodeId.Parse("1111111111111111111111111111111111111111"), Target = InfoHash, TransactionId = "aa"u8.ToArray() };
        byte[] datagram = Send(
            () =>
            {
                _reply.AddNodes(InfoHash, WantFamilies.IPv4 | WantFamilies.IPv6);
                _reply.AddSamples(TimeSpan.FromMinutes(5));
            },
            query,
            Querier);

        var response = (KrpcResponse)KrpcCodec.Decode(datagram);
        int samples = response.Samples.Length / NodeId.Size;
        Assert.That(samples, Is.InRange(1, ReplyBuilder.MaxSamples - 1), "cut below the maximum by the nodes");
        Assert.That(response.Num, Is.EqualTo(60));
        Assert.That(datagram.Length, Is.LessThanOrEqualTo(ReplyBuilder.Budget));
        Assert.That(datagram.Length + NodeId.Size, Is.GreaterThan(ReplyBuilder.Budget), "one more sample would not fit");
    }

    [Test]
    public void A_BEP_44_item_goes_whole_and_the_nodes_fill_what_it_leaves_of_the_budget()
    {
        _host.Fill(8);
        byte[] key = new byte[32];
        byte[] signature = new byte[64];
        byte[] value = [.. "700:"u8, .. new byte[700]];
        NodeId target = ItemTarget.ForMutable(key, []);
        StoredItem item = StoredItem.Mutable(target, new MutableItemPut(key, [], 1, value, signature));
        var query = new GetQuery { Id = NodeId.Parse("1111111111111111111111111111111111111111"), Target = target, TransactionId = "aa"u8.ToArray() };

        byte[] datagram = Send(
            () =>
            {
                _reply.AddToken();
                _reply.AddItem(item, querySequence: null);
                _reply.AddNodes(target, WantFamilies.IPv4 | WantFamilies.IPv6);
            },
            query,
            Querier);

        var response = (KrpcResponse)KrpcCodec.Decode(datagram);
        Assert.That(response.Value.ToArray(), Is.EqualTo(value));
        Assert.That(response.Nodes.Length, Is.EqualTo(8 * CompactFormat.NodeV4Size), "the IPv4 nodes fit");
        Assert.That(response.Nodes6.Length / CompactFormat.NodeV6Size, Is.InRange(0, 7), "the IPv6 nodes are cut");
        Assert.That(response.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes | KrpcResponseKeys.Nodes6));
        Assert.That(datagram.Length, Is.LessThanOrEqualTo(ReplyBuilder.Budget));
        Assert.That(datagram.Length + CompactFormat.NodeV6Size, Is.GreaterThan(ReplyBuilder.Budget), "one more node would not fit");

        // The largest item leaves no room for nodes: it still goes whole, with the keys empty.
        byte[] largest = [.. "996:"u8, .. new byte[996]];
        StoredItem full = StoredItem.Mutable(target, new MutableItemPut(key, [], 1, largest, signature));
        byte[] big = Send(
            () =>
            {
                _reply.AddToken();
                _reply.AddItem(full, querySequence: null);
                _reply.AddNodes(target, WantFamilies.IPv4);
            },
            query,
            Querier);
        var bigResponse = (KrpcResponse)KrpcCodec.Decode(big);
        Assert.That(bigResponse.Value.ToArray(), Is.EqualTo(largest));
        Assert.That((bigResponse.Nodes.Length, bigResponse.PresentKeys), Is.EqualTo((0, KrpcResponseKeys.Nodes)));
    }

    [Test]
    public void The_largest_mutable_item_goes_past_the_budget_to_a_stranger_whose_get_pays_four_times_for_it()
    {
        _host.Fill(8);
        byte[] key = new byte[32];
        byte[] signature = new byte[64];
        byte[] largest = [.. "996:"u8, .. new byte[996]];
        NodeId target = ItemTarget.ForMutable(key, []);
        StoredItem item = StoredItem.Mutable(target, new MutableItemPut(key, [], 1, largest, signature));
        KrpcQuery Get(int padding) => new GetQuery { Id = NodeId.Parse("1111111111111111111111111111111111111111"), Target = target, Padding = padding, TransactionId = "aa"u8.ToArray() };
        void Build()
        {
            _reply.AddToken();
            _reply.AddItem(item, querySequence: null);
            _reply.AddNodes(target, WantFamilies.IPv4);
        }

        KrpcQuery plain = Get(0), padded = Get(KrpcQuery.LargeReplyPadding);
        int plainSize = KrpcCodec.Encode(plain).Length, paddedSize = KrpcCodec.Encode(padded).Length;
        byte[] cut = Send(Build, plain, Querier, 4 * plainSize, verified: false);
        byte[] whole = Send(Build, padded, Querier, 4 * paddedSize, verified: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(((KrpcResponse)KrpcCodec.Decode(cut)).Value.Length, Is.Zero, "left out whole");
            Assert.That(cut.Length, Is.LessThanOrEqualTo(4 * plainSize));
            Assert.That(((KrpcResponse)KrpcCodec.Decode(whole)).Value.ToArray(), Is.EqualTo(largest));
            Assert.That(whole.Length, Is.GreaterThan(ReplyBuilder.Budget).And.LessThanOrEqualTo(4 * paddedSize));
        }
    }

    [Test]
    public void Without_want_the_nodes_are_of_the_requesters_family_from_that_familys_table()
    {
        _host.Fill(8);
        byte[] v6 = Send(() => _reply.AddNodes(InfoHash, WantFamilies.None), GetPeers(), Querier6);
        var response = (KrpcResponse)KrpcCodec.Decode(v6);
        Assert.That((response.Nodes.Length, response.Nodes6.Length), Is.EqualTo((0, 8 * CompactFormat.NodeV6Size)));
        Assert.That(response.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes6));
        Assert.That(_host.Asked, Is.EqualTo(new[] { AddressFamily.InterNetworkV6 }));
    }

    [Test]
    public void Every_method_has_a_handler_and_the_wire_name_as_its_statistics_name()
    {
        foreach (KrpcMethod method in Enum.GetValues<KrpcMethod>())
        {
            Assert.That(QueryMethods.HandlerOf(method), Is.Not.Null, method.ToString());
            string expected = method == KrpcMethod.Unknown ? "unknown" : System.Text.Encoding.ASCII.GetString(KrpcMethodNames.GetName(method));
            Assert.That(QueryMethods.Name(method), Is.EqualTo(expected));
        }
    }

    /// <summary>A node with <see cref="Fill"/> nodes of each family in its tables.</summary>
    private sealed class FakeHost : IQueryHost
    {
        private readonly List<NodeEntry> _v4 = [];
        private readonly List<NodeEntry> _v6 = [];

        public List<AddressFamily> Asked { get; } = [];

        public void Fill(int count)
        {
            for (int i = 0; i < count; i++)
            {
                var id = NodeId.CreateRandom(new Random(100 + i));
                _v4.Add(new NodeEntry(id, new IPEndPoint(new IPAddress([10, 2, 0, (byte)(i + 1)]), 6881), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero));
                _v6.Add(new NodeEntry(id, new IPEndPoint(IPAddress.Parse($"2001:db8:1::{i + 1:x}"), 6881), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero));
            }
        }

        public int FindClosestToShare(AddressFamily family, NodeId target, Span<RoutingNode> destination)
        {
            Asked.Add(family);
            List<NodeEntry> table = family == AddressFamily.InterNetwork ? _v4 : _v6;
            int count = Math.Min(table.Count, destination.Length);
            for (int i = 0; i < count; i++)
            {
                destination[i] = table[i];
            }

            return count;
        }

        public bool IsVerified(NodeId id, IPEndPoint source) => true;

        public void OnQueried(NodeId id, IPEndPoint source, DateTimeOffset now)
        {
        }

        public void OnRefusedOverBudget(NodeId id, IPEndPoint source) => throw new InvalidOperationException("every source is verified here");
    }
}
