using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Diagnostics;

/// <summary>
/// The <c>MainlineDht</c> meter and activity source, watched with a <see cref="MeterListener"/> and an
/// <see cref="ActivityListener"/> while a node looks up peers in a swarm of real UDP nodes on loopback.
/// </summary>
[NonParallelizable]
public sealed class MetricsAndTracingTests : GuardedTest
{
    private static readonly string[] Instruments =
    [
        "dht.routing.nodes", "dht.queries.received", "dht.queries.sent", "dht.queries.outstanding",
        "dht.queries.rate_limited", "dht.responses.received", "dht.replies.sent", "dht.errors.sent",
        "dht.errors.received", "dht.timeouts", "dht.peers.stored", "dht.infohashes.stored",
        "dht.announces.accepted", "dht.datagrams.received", "dht.datagrams.malformed", "dht.ip_bans",
        "dht.internal_errors", "dht.lookups", "dht.lookup.duration",
    ];

    private readonly List<DhtNode> _nodes = [];

    [TearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }

    private async Task<DhtNode> StartAsync(int index, IEnumerable<IPEndPoint> bootstrap, IMeterFactory? meters = null)
    {
        DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(new IPAddress([127, 62, 0, (byte)index]), 0),
            BootstrapNodes = [.. bootstrap.Select(b => b.ToString())],
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueriesPerSecondPerIp = 0,
            QueryTimeout = TimeSpan.FromSeconds(2),
            MeterFactory = meters,
        });
        _nodes.Add(node);
        return node;
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_lookup_on_a_loopback_swarm_is_measured_where_it_happens_and_traced_as_one_activity()
    {
        // A swarm of 12 nodes; one more announces a peer; the watched node, with a meter factory of
        // its own (the listener tells its instruments from the others' by that scope), looks it up.
        DhtNode first = await StartAsync(1, []);
        for (int i = 2; i <= 12; i++)
        {
            await (await StartAsync(i, [first.LocalEndPoint])).JoinAsync();
        }

        NodeId infoHash = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
        using var meters = new TestMeterFactory();
        using var recorder = new MeterRecorder(meters);
        using var activities = new ActivityRecorder();

        DhtNode announcer = await StartAsync(20, [first.LocalEndPoint]);
        await announcer.JoinAsync();
        LookupReport announced = await announcer.AnnounceAsync(infoHash, 6881);

        DhtNode watched = await StartAsync(30, [first.LocalEndPoint], meters);
        await watched.JoinAsync();
        recorder.Clear(); // what the join did is not the lookup's
        PeerLookupResult found = await watched.LookupPeersAsync(infoHash);

        // The gauges and the statistics are read one after the other while the node lives on (a
        // verification ping may start or end between the two): read both until they agree, briefly.
        DhtNodeStatistics statistics = watched.GetStatistics();
        for (int i = 0; i < 50; i++)
        {
            recorder.RecordGauges();
            statistics = watched.GetStatistics();
            if (recorder.Gauge("dht.routing.nodes", ("family", "ipv4")) == statistics.RoutingTableSizeV4
                && recorder.Gauge("dht.queries.outstanding", ("family", "ipv4")) == statistics.OutstandingQueries)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.That(found.Peers, Has.Count.EqualTo(1), "the announced peer is found");
        LookupReport report = found.Report;
        Assert.Multiple(() =>
        {
            Assert.That(recorder.Published, Is.SupersetOf(Instruments), "every instrument, on the node's own meter");
            Assert.That(recorder.Sum("dht.queries.sent", ("method", "get_peers")), Is.EqualTo(report.NodesQueried), "one get_peers counted per node the report queried");
            Assert.That(recorder.Sum("dht.responses.received"), Is.GreaterThanOrEqualTo(report.Replies));
            Assert.That(recorder.Sum("dht.datagrams.received"), Is.GreaterThanOrEqualTo(report.Replies));
            Assert.That(recorder.Sum("dht.lookups", ("kind", "get_peers"), ("outcome", "completed")), Is.EqualTo(1));
            Assert.That(recorder.Count("dht.lookup.duration", ("kind", "get_peers")), Is.EqualTo(1));
            Assert.That(recorder.Gauge("dht.routing.nodes", ("family", "ipv4")), Is.EqualTo(statistics.RoutingTableSizeV4).And.GreaterThan(0));
            Assert.That(recorder.Gauge("dht.queries.outstanding", ("family", "ipv4")), Is.EqualTo(statistics.OutstandingQueries));
        });

        Activity lookup = activities.Stopped.Single(a => a.OperationName == "dht.get_peers" && (string?)a.GetTagItem("dht.target") == infoHash.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(lookup.Source.Name, Is.EqualTo(DhtDiagnostics.ActivitySourceName));
            Assert.That(lookup.GetTagItem("dht.outcome"), Is.EqualTo("completed"));
            Assert.That(lookup.GetTagItem("dht.nodes_queried"), Is.EqualTo(report.NodesQueried));
            Assert.That(lookup.GetTagItem("dht.replies"), Is.EqualTo(report.Replies));
            Assert.That(lookup.GetTagItem("dht.timeouts"), Is.EqualTo(report.Timeouts));
            Assert.That(lookup.GetTagItem("dht.round_trips"), Is.EqualTo(report.RoundTrips));
            Assert.That(lookup.GetTagItem("dht.peers_found"), Is.EqualTo(1));
            Assert.That(lookup.Duration, Is.GreaterThan(TimeSpan.Zero));
        });

        Activity announce = activities.Stopped.Single(a => a.OperationName == "dht.announce");
        Assert.That(announce.GetTagItem("dht.announced_to"), Is.EqualTo(announced.AnnouncedTo.Count).And.GreaterThan(0));
        Assert.That(announce.GetTagItem("dht.target"), Is.EqualTo(infoHash.ToString()));

        // Another node's announce was measured on its own meter, not the watched node's.
        Assert.That(recorder.Sum("dht.lookups", ("kind", "announce")), Is.Zero);

        await watched.DisposeAsync();
        recorder.Clear();
        recorder.RecordGauges();
        Assert.That(recorder.Measurements, Is.Empty, "a stopped node's gauges report nothing");
    }

    [Test]
    public async Task Without_a_listener_a_lookup_starts_no_activity_and_a_node_without_a_factory_owns_its_meter()
    {
        DhtNode node = await StartAsync(40, []);
        Assert.That(ActivityRecorder.AnyListener, Is.False, "no listener attached to the MainlineDht source");
        LookupReport report = await node.FindNodeAsync(node.Id);
        Assert.That(report.NodesQueried, Is.Zero, "a lone node");

        var scopes = new List<object?>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == DhtDiagnostics.MeterName && instrument.Name == "dht.routing.nodes")
                {
                    scopes.Add(instrument.Meter.Scope);
                }
            };
            listener.Start();
        }

        Assert.That(scopes, Has.Count.GreaterThanOrEqualTo(1).And.All.Null, "a node with no meter factory creates a meter of its own");
    }

    /// <summary>An <see cref="IMeterFactory"/> of the test's own: its meters' scope tells the watched node's instruments from the others'.</summary>
    private sealed class TestMeterFactory : IMeterFactory
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

    private sealed record Measured(string Instrument, double Value, KeyValuePair<string, object?>[] Tags);

    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private readonly List<Measured> _measured = [];

        public MeterRecorder(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DhtDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    lock (_gate)
                    {
                        Published.Add(instrument.Name);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
            _listener.Start();
        }

        public HashSet<string> Published { get; } = [];

        public List<Measured> Measurements
        {
            get
            {
                lock (_gate)
                {
                    return [.. _measured];
                }
            }
        }

        public void Clear()
        {
            lock (_gate)
            {
                _measured.Clear();
            }
        }

        public void RecordGauges() => _listener.RecordObservableInstruments();

        public double Sum(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Sum(m => m.Value);

        public int Count(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Count();

        public double Gauge(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Last().Value;

        public void Dispose() => _listener.Dispose();

        private IEnumerable<Measured> Matching(string instrument, (string Key, string Value)[] tags) =>
            Measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value))));

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var measured = new Measured(instrument.Name, value, tags.ToArray());
            lock (_gate)
            {
                _measured.Add(measured);
            }
        }
    }

    private sealed class ActivityRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly Lock _gate = new();
        private readonly List<Activity> _stopped = [];

        public ActivityRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == DhtDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    lock (_gate)
                    {
                        _stopped.Add(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>Whether any listener listens to a MainlineDht source now (a throwaway source of that name asks).</summary>
        public static bool AnyListener
        {
            get
            {
                using var probe = new ActivitySource(DhtDiagnostics.ActivitySourceName);
                return probe.HasListeners();
            }
        }

        public List<Activity> Stopped
        {
            get
            {
                lock (_gate)
                {
                    return [.. _stopped];
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
