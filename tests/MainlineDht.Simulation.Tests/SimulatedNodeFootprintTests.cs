using System.Diagnostics.Metrics;

namespace MainlineDht.Simulation.Tests;

/// <summary>What a simulated node holds besides its routing table: nothing a million nodes cannot afford.</summary>
[NonParallelizable]
public sealed class SimulatedNodeFootprintTests
{
    [Test]
    public async Task Simulated_nodes_create_no_meter_or_instrument_unless_given_a_meter_factory()
    {
        int before = LiveInstruments(scope: null);
        await using var plain = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 3 });
        plain.PopulateDirect(20);
        int afterPlain = LiveInstruments(scope: null);

        using var factory = new OwnMeterFactory();
        await using var measured = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 3, ConfigureNode = o => o with { MeterFactory = factory } });
        measured.PopulateDirect(20);

        Assert.Multiple(() =>
        {
            Assert.That(afterPlain - before, Is.Zero, "no meter of their own, no instrument");
            Assert.That(LiveInstruments(factory), Is.GreaterThanOrEqualTo(20), "given a meter factory, the nodes measure");
        });
    }

    [Test]
    public async Task An_idle_simulated_node_costs_under_6_KB()
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 5 });
        PopulateReport report = network.PopulateDirect(2_000);
        Assert.That(report.BytesPerIdleNode, Is.LessThan(6_000), "before: about 11,400 B (a meter and 20 instruments, an activity source, a reply builder per node)");
    }

    /// <summary>Instruments of <see cref="DhtDiagnostics.MeterName"/> meters of this scope (null: meters a node made itself) alive now.</summary>
    private static int LiveInstruments(object? scope)
    {
        int count = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == DhtDiagnostics.MeterName && instrument.Meter.Scope == scope)
                {
                    count++;
                }
            },
        };
        listener.Start();
        return count;
    }

    private sealed class OwnMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
