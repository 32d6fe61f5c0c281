using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Storage;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// BEP 33 scrapes: the query says <c>scrape</c>, the responders' filters are merged by OR, and the
/// counts are the BEP's estimate — checked against the BEP's test vector (fake nodes) and against a
/// simulated swarm of our nodes with known numbers of seeds and downloaders (virtual time).
/// </summary>
public sealed class ScrapeTests : GuardedTest
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    private readonly VirtualTimeProvider _clock = new();

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    private static NodeId Id(int firstByte) => NodeId.Parse($"{firstByte:x2}" + new string('0', 38));

    private T Run<T>(Task<T> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the scrape did not end");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>BEP 33's test vector, split between two filters: 192.0.2.0–255 in one, 2001:DB8::–3E7 in the other.</summary>
    private static (byte[] V4Part, byte[] V6Part) Bep33VectorInTwo()
    {
        var v4 = new ScrapeBloomFilter();
        var v6 = new ScrapeBloomFilter();
        for (int i = 0; i <= 255; i++)
        {
            v4.Insert(IPAddress.Parse($"192.0.2.{i}"));
        }

        for (int i = 0; i <= 0x3E7; i++)
        {
            v6.Insert(IPAddress.Parse($"2001:DB8::{i:X}"));
        }

        return (v4.Bits.ToArray(), v6.Bits.ToArray());
    }

    [Test]
    public void A_scrape_merges_the_filters_of_the_responders_and_estimates_the_bep33_vector()
    {
        (byte[] v4Part, byte[] v6Part) = Bep33VectorInTwo();
        byte[] empty = new byte[ScrapeBloomFilter.Size];
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, _clock);
        NodeInfo[] near = [new(Id(1), At(1)), new(Id(2), At(2)), new(Id(3), At(3))];
        network.Nodes[At(0x60)] = new FakeNode(Id(0x60)) { Nodes = near };
        network.Starting((Id(0x60), At(0x60)));
        network.Nodes[At(1)] = new FakeNode(Id(1)) { SeedsFilter = v4Part, PeersFilter = empty };
        network.Nodes[At(2)] = new FakeNode(Id(2)) { SeedsFilter = v6Part, PeersFilter = v4Part };
        network.Nodes[At(3)] = new FakeNode(Id(3)); // holds no peer: no filters
        var runner = new LookupRunner([network], _clock);

        ScrapeResult result = Run(runner.ScrapeAsync(Target, CancellationToken.None));

        Assert.That(network.SentOf<GetPeersQuery>().Select(q => q.Query.Scrape), Is.All.True, "every get_peers says scrape=1");
        using (Assert.EnterMultipleScope())
        {
            // BEP 33: "For the 1256 inserted values the calculated estimate should be 1224.9308".
            Assert.That(result.SeedsEstimate, Is.EqualTo(1224.9308).Within(0.0001));
            Assert.That(result.Seeds, Is.EqualTo(1225));
            Assert.That(result.Peers, Is.EqualTo((int)Math.Round(ScrapeFilterOf(v4Part).EstimateCount())), "BFpe merged on its own");
            Assert.That(result.Peers, Is.EqualTo(256).Within(15));
            Assert.That(result.NodesWithFilters, Is.EqualTo(2));
            Assert.That(result.InfoHash, Is.EqualTo(Target));
            Assert.That(result.Report.Replies, Is.EqualTo(4));
        }
    }

    [Test]
    public void Filters_of_the_wrong_size_are_ignored_and_nothing_stored_counts_zero()
    {
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, _clock);
        network.Nodes[At(1)] = new FakeNode(Id(1)) { SeedsFilter = new byte[255], PeersFilter = new byte[256] };
        network.Starting((Id(1), At(1)));
        ScrapeResult result = Run(new LookupRunner([network], _clock).ScrapeAsync(Target, CancellationToken.None));
        Assert.That((result.Seeds, result.Peers, result.SeedsEstimate, result.NodesWithFilters), Is.EqualTo((0, 0, 0.0, 0)));
    }

    [Test]
    public void A_scrape_over_two_families_merges_both()
    {
        (byte[] v4Part, byte[] v6Part) = Bep33VectorInTwo();
        byte[] empty = new byte[ScrapeBloomFilter.Size];
        var v4 = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, _clock);
        v4.Nodes[At(1)] = new FakeNode(Id(1)) { SeedsFilter = v4Part, PeersFilter = empty };
        v4.Starting((Id(1), At(1)));
        var v6 = new FakeLookupNetwork(AddressFamily.InterNetworkV6, Self, _clock);
        var at6 = new IPEndPoint(IPAddress.Parse("fd00::1"), 6881);
        v6.Nodes[at6] = new FakeNode(Id(1)) { SeedsFilter = v6Part, PeersFilter = empty };
        v6.Starting((Id(1), at6));

        ScrapeResult result = Run(new LookupRunner([v4, v6], _clock).ScrapeAsync(Target, CancellationToken.None));
        Assert.That(result.SeedsEstimate, Is.EqualTo(1224.9308).Within(0.0001));
        Assert.That(result.NodesWithFilters, Is.EqualTo(2));
    }

    [Test]
    public async Task A_scrape_of_a_simulated_swarm_counts_its_seeds_and_downloaders_within_the_filters_error()
    {
        await using var network = new VirtualNetwork(seed: 4);
        network.Network.Latency = (_, _) => TimeSpan.FromMilliseconds(15);
        DhtNode first = network.StartNode("127.5.0.1", 1);
        for (int i = 2; i <= 80; i++)
        {
            DhtNode node = network.StartNode($"127.5.0.{i}", i, first.LocalEndPoint);
            network.Run(node.JoinAsync());
        }

        NodeId infoHash = NodeId.CreateRandom(new Random(8));
        IReadOnlyList<DhtNode> nodes = network.Nodes;
        const int SeedCount = 17, DownloaderCount = 41;
        for (int i = 0; i < SeedCount + DownloaderCount; i++)
        {
            LookupReport announced = network.Run(nodes[i + 1].AnnounceAsync(infoHash, 7000 + i, impliedPort: false, seed: i < SeedCount));
            Assert.That(announced.AnnouncedTo, Is.Not.Empty);
        }

        DhtNode scraper = network.StartNode("127.5.1.1", 500, first.LocalEndPoint);
        network.Run(scraper.JoinAsync());
        ScrapeResult result = network.Run(scraper.ScrapeAsync(infoHash));

        // Each address sets 2 of 2048 bits; at these counts a collision is rare, and the BEP's formula
        // corrects for the expected ones: the estimate is within a couple of the truth.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.SeedsEstimate, Is.EqualTo(SeedCount).Within(ExpectedError(SeedCount)), $"{result}");
            Assert.That(result.PeersEstimate, Is.EqualTo(DownloaderCount).Within(ExpectedError(DownloaderCount)), $"{result}");
            Assert.That(result.NodesWithFilters, Is.GreaterThanOrEqualTo(Traversal.K / 2));
        }
    }

    /// <summary>
    /// Three standard deviations of the BEP 33 estimate for <paramref name="n"/> addresses (m = 2048,
    /// k = 2): the zero-bit count has variance m·(e^(−kn/m) − (1 + kn/m)·e^(−2kn/m)), and the estimate
    /// moves by 1/(k·c/m·…) per zero bit; at least 1.
    /// </summary>
    internal static double ExpectedError(int n)
    {
        const double m = 2048, k = 2;
        double p = Math.Exp(-k * n / m);
        double zeros = m * p;
        double variance = m * (p - ((1 + (k * n / m)) * p * p));
        double perZeroBit = 1 / (zeros * k * -Math.Log(1 - (1 / m)));
        return Math.Max(1, 3 * Math.Sqrt(Math.Max(0, variance)) * perZeroBit);
    }

    private static ScrapeBloomFilter ScrapeFilterOf(byte[] bits)
    {
        Assert.That(ScrapeBloomFilter.TryRead(bits, out ScrapeBloomFilter? filter), Is.True);
        return filter!;
    }
}
