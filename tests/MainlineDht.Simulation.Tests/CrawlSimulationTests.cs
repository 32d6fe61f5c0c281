namespace MainlineDht.Simulation.Tests;

/// <summary>
/// The crawl benchmark on a small network (the 10,000-node figures are in the README, measured with
/// <c>mainline-dht simulate --crawl</c>): a crawl at the default rate finds what was announced, and a
/// seed gives the same figures twice.
/// </summary>
[NonParallelizable]
public sealed class CrawlSimulationTests
{
    private static CrawlSimulationOptions Small => new()
    {
        Nodes = 600,
        InfoHashes = 1_500,
        Duration = TimeSpan.FromMinutes(10),
        Loss = 0.05,
        Dead = 0.2,
        Seed = 3,
    };

    [Test]
    public void A_crawl_at_the_default_rate_finds_every_announced_infohash()
    {
        CrawlSimulationReport report = CrawlSimulationRunner.Run(Small, TestContext.Progress.WriteLine);
        TestContext.Progress.WriteLine(report.ToJson());
        Assert.Multiple(() =>
        {
            Assert.That(report.Coverage, Is.GreaterThanOrEqualTo(0.99));
            Assert.That(report.NewPerMinute.Sum(), Is.EqualTo(report.Found));
            Assert.That(report.To90, Is.Not.Null.And.LessThan(TimeSpan.FromMinutes(2)));
            Assert.That(report.Crawl.QueriesPerSecond, Is.LessThanOrEqualTo(20.0 * 1.05), "the default rate holds");
            Assert.That(report.QueriesPerInfoHash, Is.LessThan(1));
            Assert.That(report.Crawl.Timeouts, Is.GreaterThan(0), "a fifth of the nodes never answer");
        });
    }

    [Test]
    public void The_same_seed_gives_the_same_crawl()
    {
        CrawlSimulationOptions options = Small with { Nodes = 300, InfoHashes = 500 };
        CrawlSimulationReport first = CrawlSimulationRunner.Run(options);
        CrawlSimulationReport second = CrawlSimulationRunner.Run(options);
        Assert.That(second.NewPerMinute, Is.EqualTo(first.NewPerMinute));
        Assert.That((second.Found, second.Crawl.QueriesSent, second.Crawl.Samples, second.To99), Is.EqualTo((first.Found, first.Crawl.QueriesSent, first.Crawl.Samples, first.To99)));
    }
}
