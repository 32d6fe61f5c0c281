namespace MainlineDht.Simulation.Tests;

/// <summary>
/// The hostile network, sized for CI (2,000 nodes, public-like addresses in memory): lookups still
/// find what was announced among poisoners, and Sybils placed next to the infohashes take at most a
/// quarter of the closest places — fewer than with the IP-diversity rules off. (The 10,000-node
/// figures are in the README.)
/// </summary>
[NonParallelizable]
public sealed class HostileSimulationTests
{
    private static SimulationRunnerOptions TwoThousand => new()
    {
        Nodes = 2_000,
        Lookups = 200,
        Loss = 0.05,
        Dead = 0.20,
        Seed = 7,
    };

    [Test]
    public void Public_addresses_alone_change_nothing_for_an_honest_network()
    {
        SimulationReport report = SimulationRunner.Run(TwoThousand with { PublicAddresses = true });
        TestContext.Progress.WriteLine(report.ToText());

        Assert.That(report.SuccessRate, Is.GreaterThanOrEqualTo(0.99), "one /24 per node: diversity costs an honest network nothing");
        Assert.That(report.SybilShareOfClosest, Is.Zero);
        Assert.That(report.Network.ForeignThreadCalls, Is.Zero);
    }

    [Test]
    public void Lookups_find_the_peer_among_ten_percent_of_poisoners_and_ignore_their_junk()
    {
        SimulationReport report = SimulationRunner.Run(TwoThousand with { Poison = 0.10 });
        TestContext.Progress.WriteLine(report.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(report.PoisonNodes, Is.EqualTo(200));
            Assert.That(report.SuccessRate, Is.GreaterThanOrEqualTo(0.98));
            Assert.That(report.JunkNodesIgnored, Is.GreaterThan(1_000), "the poisoners' junk was seen and not followed");
            Assert.That(report.Network.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public void Sybils_next_to_the_infohashes_take_at_most_a_quarter_of_the_closest_places_and_far_fewer_than_without_diversity()
    {
        SimulationReport defended = SimulationRunner.Run(TwoThousand with { Sybil = 0.05 });
        SimulationReport open = SimulationRunner.Run(TwoThousand with { Sybil = 0.05, ConfigureNode = o => o with { IpDiversity = IpDiversity.Off } });
        TestContext.Progress.WriteLine(defended.ToText());
        TestContext.Progress.WriteLine(open.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(defended.SybilNodes, Is.EqualTo(100));
            Assert.That(defended.SybilShareOfClosest, Is.LessThanOrEqualTo(0.25));
            Assert.That(defended.SuccessRate, Is.GreaterThanOrEqualTo(0.98));
            Assert.That(open.SybilShareOfClosest, Is.GreaterThan(defended.SybilShareOfClosest), "the rules are what keeps them out");
            Assert.That(defended.AnnouncedToHonest.Mean, Is.GreaterThan(open.AnnouncedToHonest.Mean), "announces reach more honest nodes");
        });
    }

    [Test]
    public void Json_keeps_every_key_and_adds_the_adversaries()
    {
        SimulationReport report = SimulationRunner.Run(new SimulationRunnerOptions { Nodes = 300, Lookups = 20, Sybil = 0.05, Poison = 0.05 });
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        System.Text.Json.JsonElement root = json.RootElement;

        Assert.Multiple(() =>
        {
            foreach (string key in new[] { "success_rate", "lookup_ms", "messages_per_lookup", "wall_seconds", "peak_memory_mb", "closest_nodes_recall", "announced_to", "datagrams" })
            {
                Assert.That(root.TryGetProperty(key, out _), Is.True, key);
            }

            Assert.That(root.GetProperty("sybil_share_of_closest").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("sybil_nodes").GetInt32(), Is.EqualTo(15));
            Assert.That(root.GetProperty("poison_nodes").GetInt32(), Is.EqualTo(15));
            Assert.That(root.GetProperty("public_addresses").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("announced_to_honest").GetProperty("mean").GetDouble(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Validate_names_the_adversaries()
    {
        Assert.That(() => new SimulationRunnerOptions { Sybil = 0.6 }.Validate(), Throws.ArgumentException.With.Message.Contains("Sybil"));
        Assert.That(() => new SimulationRunnerOptions { Sybil = 0.3, Poison = 0.3 }.Validate(), Throws.ArgumentException.With.Message.Contains("Poison"));
    }
}
