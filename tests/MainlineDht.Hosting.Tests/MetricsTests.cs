using System.Diagnostics.Metrics;
using MainlineDht.Hosting.Tests.Support;
using MainlineDht.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MainlineDht.Hosting.Tests;

/// <summary>The <c>MainlineDht</c> meter's instruments, observed with a <see cref="MeterListener"/>.</summary>
public sealed class MetricsTests : LoopbackTest
{
    private static readonly string[] Instruments =
    [
        "dht.routing.nodes",
        "dht.queries.received",
        "dht.queries.sent",
        "dht.queries.outstanding",
        "dht.queries.rate_limited",
        "dht.responses.received",
        "dht.errors.sent",
        "dht.errors.received",
        "dht.timeouts",
        "dht.peers.stored",
        "dht.infohashes.stored",
        "dht.announces.accepted",
        "dht.datagrams.received",
        "dht.datagrams.malformed",
        "dht.replies.sent",
        "dht.ip_bans",
        "dht.internal_errors",
        "dht.lookups",
        "dht.lookup.duration",
    ];

    [Test]
    public async Task InstrumentsReportTheRunningNode()
    {
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.11"));
        using var meter = new MeterRecorder(host.Services.GetRequiredService<IMeterFactory>());
        await host.StartAsync();
        DhtNode hosted = await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);

        // A plain node joins through the hosted one and announces a peer to it.
        await using DhtNode announcer = await TestHosts.StartNodeAsync("127.0.0.12", hosted.HostPort());
        await announcer.JoinAsync();
        NodeId infoHash = NodeId.Parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        await announcer.AnnounceAsync(infoHash, 6881);
        await host.Services.GetRequiredService<IDhtNodeAccessor>().GetJoinedNodeAsync().WaitAsync(TestHosts.Patience);

        List<Measured> measured = meter.Collect();

        Assert.Multiple(() =>
        {
            Assert.That(meter.Published, Is.EquivalentTo(Instruments));
            Assert.That(meter.Units["dht.routing.nodes"], Is.EqualTo("{node}"));
            Assert.That(Value(measured, "dht.routing.nodes"), Is.GreaterThanOrEqualTo(1));
            Assert.That(Value(measured, "dht.queries.received", ("method", "find_node")), Is.GreaterThan(0));
            Assert.That(Value(measured, "dht.queries.received", ("method", "get_peers")), Is.GreaterThan(0));
            Assert.That(Value(measured, "dht.queries.received", ("method", "announce_peer")), Is.EqualTo(1));
            Assert.That(Value(measured, "dht.queries.sent", ("method", "find_node")), Is.GreaterThan(0), "the hosted node joined back through the announcer");
            Assert.That(Value(measured, "dht.responses.received"), Is.GreaterThan(0));
            Assert.That(Value(measured, "dht.peers.stored"), Is.EqualTo(1));
            Assert.That(Value(measured, "dht.infohashes.stored"), Is.EqualTo(1));
            Assert.That(Value(measured, "dht.announces.accepted"), Is.EqualTo(1));
            Assert.That(Value(measured, "dht.timeouts"), Is.GreaterThanOrEqualTo(0), "counted as they happen (a loaded machine may time a query out)");
            Assert.That(Value(measured, "dht.datagrams.received"), Is.GreaterThan(0));
            Assert.That(Value(measured, "dht.datagrams.malformed"), Is.Zero);
            Assert.That(measured.Where(m => m.Instrument == "dht.queries.received").Select(m => m.Tags.Single().Key), Is.All.EqualTo("method"));
        });

        await host.StopAsync().WaitAsync(TestHosts.Patience);
        Assert.That(meter.CollectGauges(), Is.Empty, "a stopped host's gauges report nothing");
    }

    [Test]
    public async Task ErrorsSentCarryTheirCode()
    {
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.13"));
        using var meter = new MeterRecorder(host.Services.GetRequiredService<IMeterFactory>());
        await host.StartAsync();
        DhtNode hosted = await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);

        // A query of an unknown method with no target is answered with error 204.
        using var client = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.13"), 0));
        byte[] query = "d1:ad2:id20:abcdefghij0123456789e1:q3:xyz1:t2:aa1:y1:qe"u8.ToArray();
        await client.SendAsync(query, hosted.LocalEndPoint);
        using var timeout = new CancellationTokenSource(TestHosts.Patience);
        System.Net.Sockets.UdpReceiveResult reply = await client.ReceiveAsync(timeout.Token);
        Assert.That(System.Text.Encoding.ASCII.GetString(reply.Buffer), Does.Contain("1:y1:e"));

        List<Measured> measured = meter.Collect();
        Assert.That(measured.Where(m => m.Instrument == "dht.errors.sent").Select(m => (m.Tags.Single().Key, m.Tags.Single().Value, m.Value)),
            Is.EquivalentTo(new[] { ("code", (object?)204, 1L) }));
        await host.StopAsync().WaitAsync(TestHosts.Patience);
    }

    [Test]
    public async Task InstrumentsArePublishedOnTheHostsMeterWhenTheNodeStarts()
    {
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.14"));
        using var meter = new MeterRecorder(host.Services.GetRequiredService<IMeterFactory>());
        _ = host.Services.GetServices<IHostedService>().ToList();
        Assert.That(meter.Published, Is.Empty, "the node creates its instruments");

        await host.StartAsync();
        await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);
        Assert.That(meter.Published, Is.EquivalentTo(Instruments), "on the meter of the host's factory");
        List<Measured> gauges = meter.CollectGauges();
        Assert.That(gauges.Where(m => m.Instrument == "dht.routing.nodes").Select(m => (m.Value, m.Tags.Single().Key, m.Tags.Single().Value)),
            Is.EqualTo(new[] { (0L, "family", (object?)"ipv4") }), "an empty table, by family");
        await host.StopAsync().WaitAsync(TestHosts.Patience);
    }

    private static long Value(List<Measured> measured, string instrument, (string Key, string Value)? tag = null) =>
        measured.Where(m => m.Instrument == instrument
                && (tag is null || m.Tags.Any(t => t.Key == tag.Value.Key && Equals(t.Value, tag.Value.Value))))
            .Select(m => m.Value)
            .DefaultIfEmpty(0)
            .Sum();

    private sealed record Measured(string Instrument, long Value, KeyValuePair<string, object?>[] Tags);

    /// <summary>
    /// Listens to the <c>MainlineDht</c> meter of one host only (its <see cref="IMeterFactory"/> is the
    /// meter's scope): counters and histograms as they are added to, gauges when collected.
    /// </summary>
    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private readonly List<Measured> _events = [];
        private readonly List<Measured> _observed = [];

        public MeterRecorder(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "MainlineDht" && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    lock (_gate)
                    {
                        Published.Add(instrument.Name);
                        Units[instrument.Name] = instrument.Unit;
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, (long)Math.Ceiling(value), tags));
            _listener.Start();
        }

        public List<string> Published { get; } = [];

        public Dictionary<string, string?> Units { get; } = [];

        /// <summary>Every counter measurement since the start, and the gauges now.</summary>
        public List<Measured> Collect()
        {
            List<Measured> gauges = CollectGauges();
            lock (_gate)
            {
                return [.. _events, .. gauges];
            }
        }

        /// <summary>The gauges now.</summary>
        public List<Measured> CollectGauges()
        {
            lock (_gate)
            {
                _observed.Clear();
            }

            _listener.RecordObservableInstruments();
            lock (_gate)
            {
                return [.. _observed];
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var measured = new Measured(instrument.Name, value, tags.ToArray());
            lock (_gate)
            {
                (instrument.IsObservable ? _observed : _events).Add(measured);
            }
        }
    }
}
