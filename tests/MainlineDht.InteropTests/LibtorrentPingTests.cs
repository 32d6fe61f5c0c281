using MainlineDht.InteropTests.Support;
using MainlineDht.Protocol;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// Our node answers libtorrent's <c>ping</c>. libtorrent 2.0.8 sends one in a single case: every
/// 5 s it refreshes the least recently queried node of its table, with <c>ping</c> when that
/// node's bucket is full (its live nodes at the limit and 8 replacements), else with
/// <c>get_peers</c> (src/kademlia/node.cpp, <c>node::tick</c> and <c>send_single_refresh</c>). So
/// the test fills one bucket: libtorrent runs with 8-node buckets (<c>--plain-buckets</c>), and
/// our nodes, whose ids all lie in the half of the id space away from libtorrent's, land in its
/// bucket 0 until it holds 8 live nodes and 8 replacements. How many that takes varies: a
/// newcomer with a shorter round trip replaces a live node instead of waiting as a replacement.
/// </summary>
public sealed class LibtorrentPingTests : GuardedTest
{
    private const int Batch = 8;
    private const int MaxFarNodes = 96;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // libtorrent's first tick after start is a self-refresh, the refreshes follow 5 s apart.
    private static readonly TimeSpan PingDeadline = TimeSpan.FromSeconds(60);

    [OneTimeSetUp]
    public void RequireClient() => RequireInstalled(DhtClientKind.Libtorrent);

    [Test]
    public async Task Our_node_answers_the_ping_libtorrent_sends_to_a_full_bucket_and_stays_in_its_table()
    {
        await using RealDhtClient client = await RealDhtClient.StartAsync(
            DhtClientKind.Libtorrent, LoopbackAddresses.Next(), arguments: ["--plain-buckets"]);
        var nodes = new List<DhtNode>();
        try
        {
            var random = new Random(5);
            NodeId farHalf = client.Id ^ NodeId.PrefixMask(1);
            IReadOnlyList<(int Nodes, int Replacements)> buckets = [];
            while (!Full(buckets) && nodes.Count < MaxFarNodes)
            {
                List<DhtNode> batch = [];
                for (int i = 0; i < Batch; i++)
                {
                    DhtNode node = await OurNodes.StartAsync(LoopbackAddresses.Next(), NodeId.CreateRandomInRange(farHalf, 1, random));
                    nodes.Add(node);
                    batch.Add(node);
                    await client.AddNodeAsync(node.LocalEndPoint);
                }

                Assert.That(await UntilAsync(() => batch.All(n => n.GetStatistics().QueriesReceived.GetValueOrDefault("get_peers") >= 1), Wait),
                    Is.True, "libtorrent contacted every node it was given");
                await UntilAsync(async () => Full(buckets = await client.BucketsAsync()), TimeSpan.FromSeconds(2));
            }

            TestContext.Out.WriteLine($"{nodes.Count} far nodes given; libtorrent's buckets (live, replacements): {string.Join(" ", buckets)}");
            Assert.That(Full(buckets), Is.True, $"bucket 0 is full after {nodes.Count} nodes: {string.Join(" ", buckets)}");

            bool pinged = await UntilAsync(() => nodes.Any(n => n.GetStatistics().QueriesReceived.GetValueOrDefault("ping") >= 1), PingDeadline);
            Assert.That(pinged, Is.True, $"libtorrent sent none of our nodes a ping; its buckets: {string.Join(" ", await client.BucketsAsync())}");
            DhtNode target = nodes.First(n => n.GetStatistics().QueriesReceived.GetValueOrDefault("ping") >= 1);
            TestContext.Out.WriteLine($"libtorrent pinged {target.LocalEndPoint} ({target.Id})");

            DhtNodeStatistics stats = target.GetStatistics();
            Assert.That(stats.ErrorsSent, Is.Empty, "our node answered libtorrent's ping with an error");
            Assert.That(stats.MalformedReceived, Is.Zero, "our codec read libtorrent's ping");
            Assert.That(await UntilAsync(() => TableHoldsAsync(client, target), Wait), Is.True,
                "libtorrent keeps the node that answered its ping");
        }
        finally
        {
            await OurNodes.DisposeAllAsync(nodes);
        }
    }

    // All our ids share their first bit, so libtorrent never splits: one bucket, 8 live + 8 replacements.
    private static bool Full(IReadOnlyList<(int Nodes, int Replacements)> buckets) =>
        buckets.Count > 0 && buckets[0].Nodes >= 8 && buckets[0].Replacements >= 8;

    private static async Task<bool> TableHoldsAsync(RealDhtClient client, DhtNode node) =>
        (await client.RoutingTableAsync()).Find(node) is not null;
}
