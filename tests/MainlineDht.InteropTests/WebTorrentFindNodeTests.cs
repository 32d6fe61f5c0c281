using System.Net;
using MainlineDht.InteropTests.Support;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// Our node answers a real client's <c>find_node</c>. Only bittorrent-dht can be made to send
/// one here (the harness's <c>find_node</c> command; on its own it sends find_node only while
/// bootstrapping from a router list). libtorrent 2.0.8 sends no find_node at all: its bootstrap
/// and refresh traversals are get_peers ("use get_peers instead of find_node. We'll get nodes
/// in the response either way", src/kademlia/node.cpp), it pings only nodes in full buckets,
/// and its Python bindings cannot send a single query. Our compact nodes reaching libtorrent
/// are covered by <see cref="ClientInteropTests.Client_follows_the_nodes_in_our_replies"/>.
/// </summary>
public sealed class WebTorrentFindNodeTests : GuardedTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [OneTimeSetUp]
    public void RequireClient() => RequireInstalled(DhtClientKind.WebTorrent);

    [Test]
    public async Task Our_node_answers_its_find_node_and_it_reads_our_compact_nodes()
    {
        await using RealDhtClient client = await RealDhtClient.StartAsync(DhtClientKind.WebTorrent, LoopbackAddresses.Next());
        await using DhtNode ours = await OurNodes.StartAsync(LoopbackAddresses.Next());
        await using DhtNode known = await OurNodes.StartAsync(LoopbackAddresses.Next());
        Assert.That((await ours.PingAsync(known.LocalEndPoint)).Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(await UntilAsync(() => ours.GetRoutingTable().Any(e => e.Id == known.Id), Wait), Is.True);

        (NodeId id, IReadOnlyList<NodeInfo> nodes) = await client.FindNodeAsync(ours.LocalEndPoint, known.Id, Wait);

        Assert.That(id, Is.EqualTo(ours.Id));
        Assert.That(nodes, Does.Contain(new NodeInfo(known.Id, known.LocalEndPoint)));
        Assert.That(ours.GetStatistics().QueriesReceived["find_node"], Is.EqualTo(1));
        Assert.That(ours.GetStatistics().ErrorsSent, Is.Empty);
    }
}
