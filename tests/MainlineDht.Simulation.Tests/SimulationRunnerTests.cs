namespace MainlineDht.Simulation.Tests;

/// <summary>
/// The acceptance figures, measured on 10,000 real nodes on one virtual clock. Every
/// assertion is about virtual time or counts, never about the wall clock.
/// </summary>
[NonParallelizable]
public sealed class SimulationRunnerTests
{
    private static SimulationRunnerOptions TenThousand => new()
    {
        Nodes = 10_000,
        Lookups = 500,
        LatencyMin = TimeSpan.FromMilliseconds(50),
        LatencyMax = TimeSpan.FromMilliseconds(300),
        Loss = 0.05,
        Dead = 0.20,
        Seed = 6,
    };

    [Test]
    public void TenThousandNodes_WithLossAndUnresponsiveNodes_FindEveryInfoHashQuickly()
    {
        SimulationReport report = SimulationRunner.Run(TenThousand, TestContext.Progress.WriteLine);
        TestContext.Progress.WriteLine(report.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(report.LookupsRun, Is.GreaterThanOrEqualTo(500));
            Assert.That(report.SuccessRate, Is.EqualTo(1.0), "every lookup finds the announced peer");
            // Measured about 600 / 1,000 ms (seed 1, 1,000 lookups; README): virtual time is deterministic, these leave a margin.
            Assert.That(report.LookupMilliseconds.P50, Is.LessThan(800), "median virtual get_peers time");
            Assert.That(report.LookupMilliseconds.P99, Is.LessThan(2000), "p99 virtual get_peers time");
            Assert.That(report.FirstPeerMilliseconds.P50, Is.LessThan(600), "median virtual time to the first peer");
            Assert.That(report.MessagesPerLookup, Is.LessThan(24), "queries per lookup");
            Assert.That(report.FirstPeerMilliseconds.P50, Is.GreaterThan(0).And.LessThanOrEqualTo(report.LookupMilliseconds.P50), "the first peer comes before the lookup ends");
            Assert.That(report.FirstPeerMilliseconds.P99, Is.LessThanOrEqualTo(report.LookupMilliseconds.Max));
            Assert.That(report.ClosestMilliseconds.P50, Is.LessThanOrEqualTo(report.LookupMilliseconds.P50));
            Assert.That(report.DeadNodes, Is.InRange(1_800, 2_200), "about 20% never answer");
            Assert.That(report.Network.Lost, Is.GreaterThan(0));
            Assert.That(report.Network.DroppedUnresponsive, Is.GreaterThan(0));
            Assert.That(report.RoutingTableSizes.Min, Is.GreaterThan(0));
            Assert.That(report.Network.ForeignThreadCalls, Is.Zero, "every continuation stayed on the virtual clock's loop");
        });
    }

    [Test]
    public void TenThousandNodes_WhenThirtyPercentLeaveAtOnce_StillFindNinetyNinePercent()
    {
        SimulationReport report = SimulationRunner.Run(TenThousand with { Churn = 0.30 }, TestContext.Progress.WriteLine);
        TestContext.Progress.WriteLine(report.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(report.LookupsRun, Is.GreaterThanOrEqualTo(500));
            Assert.That(report.NodesLeft, Is.EqualTo(3_000));
            Assert.That(report.Network.DroppedOffline, Is.GreaterThan(0), "lookups met nodes that had left");
            Assert.That(report.SuccessRate, Is.GreaterThanOrEqualTo(0.99));
            Assert.That(report.Network.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public void SameSeed_GivesTheSameFigures()
    {
        var options = new SimulationRunnerOptions { Nodes = 1_500, Lookups = 200, Loss = 0.05, Dead = 0.2, Churn = 0.1, Seed = 42 };
        SimulationReport first = SimulationRunner.Run(options);
        SimulationReport second = SimulationRunner.Run(options);
        SimulationReport other = SimulationRunner.Run(options with { Seed = 43 });

        Assert.Multiple(() =>
        {
            Assert.That(Figures(second), Is.EqualTo(Figures(first)));
            Assert.That(second.Network, Is.EqualTo(first.Network));
            Assert.That(Figures(other), Is.Not.EqualTo(Figures(first)), "another seed, another run");
        });
    }

    [Test]
    public void Lookups_AreTheSamplesTheDistributionsSummarise()
    {
        SimulationReport report = SimulationRunner.Run(new SimulationRunnerOptions { Nodes = 200, Lookups = 20 });

        Assert.Multiple(() =>
        {
            Assert.That(report.Lookups, Has.Count.EqualTo(report.LookupsRun));
            Assert.That(report.Lookups.Count(l => l.Found), Is.EqualTo(report.LookupsSucceeded));
            Assert.That(Distribution.Of(report.Lookups.Select(l => l.Elapsed.TotalMilliseconds)), Is.EqualTo(report.LookupMilliseconds));
            Assert.That(Distribution.Of(report.Lookups.Select(l => (double)l.RoundTrips)), Is.EqualTo(report.RoundTrips));
            Assert.That(report.Lookups.Average(l => l.NodesQueried), Is.EqualTo(report.MessagesPerLookup));
            Assert.That(Distribution.Of(report.Lookups.Where(l => l.FirstPeer is not null).Select(l => l.FirstPeer!.Value.TotalMilliseconds)), Is.EqualTo(report.FirstPeerMilliseconds));
        });
    }

    [Test]
    public void Json_HasTheKeysScriptsRead()
    {
        SimulationReport report = SimulationRunner.Run(new SimulationRunnerOptions { Nodes = 200, Lookups = 20 });
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        System.Text.Json.JsonElement root = json.RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("success_rate").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p50").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p90").GetDouble(), Is.GreaterThanOrEqualTo(root.GetProperty("lookup_ms").GetProperty("p50").GetDouble()));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p99").GetDouble(), Is.GreaterThanOrEqualTo(root.GetProperty("lookup_ms").GetProperty("p90").GetDouble()));
            Assert.That(root.GetProperty("first_peer_ms").GetProperty("p50").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("first_peer_ms").GetProperty("p90").GetDouble(), Is.GreaterThanOrEqualTo(root.GetProperty("first_peer_ms").GetProperty("p50").GetDouble()));
            Assert.That(root.GetProperty("first_peer_ms").GetProperty("p99").GetDouble(), Is.GreaterThanOrEqualTo(root.GetProperty("first_peer_ms").GetProperty("p90").GetDouble()));
            Assert.That(root.GetProperty("closest_ms").GetProperty("p50").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("messages_per_lookup").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("wall_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(root.GetProperty("peak_memory_mb").GetDouble(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Validate_NamesTheBadOption()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new SimulationRunnerOptions { Nodes = 1 }.Validate(), Throws.ArgumentException.With.Message.Contains("Nodes"));
            Assert.That(() => new SimulationRunnerOptions { Loss = 1 }.Validate(), Throws.ArgumentException.With.Message.Contains("Loss"));
            Assert.That(() => new SimulationRunnerOptions { Dead = 0.6, Churn = 0.5 }.Validate(), Throws.ArgumentException.With.Message.Contains("Churn"));
            Assert.That(() => new SimulationRunnerOptions { LatencyMin = TimeSpan.FromMilliseconds(10), LatencyMax = TimeSpan.FromMilliseconds(5) }.Validate(), Throws.ArgumentException);
        });
    }

    /// <summary>Everything in a report that depends on the seed alone (not the wall clock or the process).</summary>
    private static string Figures(SimulationReport r) => string.Join(
        " | ",
        r.LookupsSucceeded,
        r.LookupMilliseconds,
        r.FirstPeerMilliseconds,
        r.ClosestMilliseconds,
        r.MessagesPerLookup,
        r.RepliesPerLookup,
        r.TimeoutsPerLookup,
        r.RoundTrips,
        r.ClosestNodesRecall,
        r.AnnouncedTo,
        r.RoutingTableSizes,
        r.DeadNodes,
        r.NodesLeft,
        r.Bootstrap.VirtualTime,
        r.Bootstrap.DatagramsSent,
        r.VirtualTime);
}
