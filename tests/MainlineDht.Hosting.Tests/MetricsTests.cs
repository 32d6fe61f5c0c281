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
            Assert.That(Value(measured, "dht.timeouts"), Is.GreaterThanOrEqualTo(0), "reported (a loaded machine may time a query out)");
            Assert.That(Value(measured, "dht.datagrams.received"), Is.GreaterThan(0));
            Assert.That(Value(measured, "dht.datagrams.malformed"), Is.Zero);
            Assert.That(measured.Where(m => m.Instrument == "dht.queries.received").Select(m => m.Tags.Single().Key), Is.All.EqualTo("method"));
        });

        await host.StopAsync().WaitAsync(TestHosts.Patience);
        Assert.That(meter.Collect(), Is.Empty, "a stopped host reports nothing");
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
    public void InstrumentsExistBeforeTheNodeAndReportNothing()
    {
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.1"));
        using var meter = new MeterRecorder(host.Services.GetRequiredService<IMeterFactory>());

        // Resolving the hosted services creates the meter, as the host does when it starts.
        _ = host.Services.GetServices<IHostedService>().ToList();

        Assert.That(meter.Published, Is.EquivalentTo(Instruments));
        Assert.That(meter.Collect(), Is.Empty);
    }

    private static long Value(List<Measured> measured, string instrument, (string Key, string Value)? tag = null) =>
        measured.Where(m => m.Instrument == instrument
                && (tag is null || m.Tags.Any(t => t.Key == tag.Value.Key && Equals(t.Value, tag.Value.Value))))
            .Select(m => m.Value)
            .DefaultIfEmpty(-1)
            .Sum();

    private sealed record Measured(string Instrument, long Value, KeyValuePair<string, object?>[] Tags);

    /// <summary>Listens to the <c>MainlineDht</c> meter of one host only (its <see cref="IMeterFactory"/> is the meter's scope).</summary>
    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Measured> _measured = [];

        public MeterRecorder(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "MainlineDht" && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    Published.Add(instrument.Name);
                    Units[instrument.Name] = instrument.Unit;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measured.Add(new Measured(instrument.Name, value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measured.Add(new Measured(instrument.Name, value, tags.ToArray())));
            _listener.Start();
        }

        public List<string> Published { get; } = [];

        public Dictionary<string, string?> Units { get; } = [];

        public List<Measured> Collect()
        {
            _measured.Clear();
            _listener.RecordObservableInstruments();
            return [.. _measured];
        }

        public void Dispose() => _listener.Dispose();
    }
}
