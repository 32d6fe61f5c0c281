using System.Diagnostics.Metrics;
using MainlineDht.Protocol;

namespace MainlineDht.Diagnostics;

/// <summary>
/// The node's instruments on the <see cref="DhtDiagnostics.MeterName"/> meter. Counters are added to
/// where the thing happens (<c>Counter.Add</c> is lock-free and does nothing without a listener); the
/// gauges that are state (routing table size, queries in flight, stored peers) read a field the node
/// writes as that state changes, never a snapshot taken under the node's gate. After the node stops
/// the gauges report nothing.
/// </summary>
/// <remarks>
/// With an <see cref="IMeterFactory"/> the meter is the factory's (shared by the nodes of one
/// factory, and disposed by it); without one the node creates its own and disposes it when it stops.
/// Switched off (the simulator's nodes, <see cref="DhtNodeOptions.DiagnosticsOff"/>) there is no meter
/// and no instrument, and every method does nothing: a million simulated nodes would otherwise hold a
/// million meters and 20 million instruments (about 4.5 KB a node).
/// </remarks>
internal sealed class DhtMetrics : IDisposable
{
    /// <summary>The meter and its instruments; null when switched off (one reference, not 17 empty fields: ~120 bytes a simulated node).</summary>
    private readonly Instruments? _on;
    private int _storedPeers;
    private int _storedInfoHashes;
    private volatile bool _stopped;

    public DhtMetrics(IMeterFactory? factory, bool enabled = true)
    {
        if (enabled)
        {
            _on = new Instruments(this, factory);
        }
    }

    /// <summary>The node's meter (the factory's, or its own) and every instrument on it.</summary>
    private sealed class Instruments
    {
        public readonly Meter Meter;
        public readonly bool OwnsMeter;
        public readonly Counter<long> DatagramsReceived;
        public readonly Counter<long> DatagramsMalformed;
        public readonly Counter<long> QueriesReceived;
        public readonly Counter<long> QueriesSent;
        public readonly Counter<long> QueriesRateLimited;
        public readonly Counter<long> ResponsesReceived;
        public readonly Counter<long> RepliesSent;
        public readonly Counter<long> ErrorsSent;
        public readonly Counter<long> ErrorsReceived;
        public readonly Counter<long> Timeouts;
        public readonly Counter<long> AnnouncesAccepted;
        public readonly Counter<long> IpBans;
        public readonly Counter<long> InternalErrors;
        public readonly Counter<long> Lookups;
        public readonly Histogram<double> LookupDuration;

        public Instruments(DhtMetrics metrics, IMeterFactory? factory)
        {
            Meter = factory?.Create(new MeterOptions(DhtDiagnostics.MeterName)) ?? new Meter(DhtDiagnostics.MeterName);
            OwnsMeter = factory is null;

            Meter.CreateObservableGauge("dht.routing.nodes", metrics.RoutingNodes, "{node}",
                "Nodes in the routing table, by address family (tag 'family': ipv4, ipv6).");
            QueriesReceived = Meter.CreateCounter<long>("dht.queries.received", "{query}",
                "Queries received from other nodes and handled, by KRPC method (tag 'method').");
            QueriesSent = Meter.CreateCounter<long>("dht.queries.sent", "{query}",
                "Queries sent to other nodes, by KRPC method (tag 'method').");
            Meter.CreateObservableGauge("dht.queries.outstanding", metrics.Outstanding, "{query}",
                "Queries in flight, by address family (tag 'family').");
            QueriesRateLimited = Meter.CreateCounter<long>("dht.queries.rate_limited", "{query}",
                "Queries dropped by the per-IP rate limit (not those of banned IPs: see dht.ip_bans).");
            ResponsesReceived = Meter.CreateCounter<long>("dht.responses.received", "{response}",
                "Responses received that matched a query in flight.");
            RepliesSent = Meter.CreateCounter<long>("dht.replies.sent", "{reply}",
                "Responses sent to other nodes' queries.");
            ErrorsSent = Meter.CreateCounter<long>("dht.errors.sent", "{error}",
                "KRPC errors sent, by error code (tag 'code').");
            ErrorsReceived = Meter.CreateCounter<long>("dht.errors.received", "{error}",
                "KRPC errors received that matched a query in flight.");
            Timeouts = Meter.CreateCounter<long>("dht.timeouts", "{query}",
                "Queries sent that timed out.");
            Meter.CreateObservableGauge("dht.peers.stored", () => metrics.Stored(ref metrics._storedPeers), "{peer}",
                "Peers stored for other nodes' announces, over all infohashes.");
            Meter.CreateObservableGauge("dht.infohashes.stored", () => metrics.Stored(ref metrics._storedInfoHashes), "{infohash}",
                "Infohashes with stored peers.");
            AnnouncesAccepted = Meter.CreateCounter<long>("dht.announces.accepted", "{announce}",
                "announce_peer queries accepted from other nodes.");
            DatagramsReceived = Meter.CreateCounter<long>("dht.datagrams.received", "{datagram}",
                "UDP datagrams received.");
            DatagramsMalformed = Meter.CreateCounter<long>("dht.datagrams.malformed", "{datagram}",
                "Datagrams received that were not valid KRPC.");
            IpBans = Meter.CreateCounter<long>("dht.ip_bans", "{ban}",
                "IPs banned for exceeding the per-IP rate limit again and again.");
            InternalErrors = Meter.CreateCounter<long>("dht.internal_errors", "{fault}",
                "Faults of the node's own code (a bug) that it survived.");
            Lookups = Meter.CreateCounter<long>("dht.lookups", "{lookup}",
                "Lookups run, by kind (tag 'kind': find_node, get_peers, announce, get, put, scrape) and outcome (tag 'outcome': completed, cancelled, failed).");
            LookupDuration = Meter.CreateHistogram<double>("dht.lookup.duration", "s",
                "How long lookups took, by kind (tag 'kind').",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60] });
        }
    }

    /// <summary>The IPv4 engine's gauges.</summary>
    public FamilyGauges V4 { get; } = new("ipv4");

    /// <summary>The IPv6 engine's gauges.</summary>
    public FamilyGauges V6 => _v6 ??= new("ipv6"); // made by the IPv6 engine, when there is one (before the node is shared)

    private volatile FamilyGauges? _v6;

    public void DatagramReceived() => _on?.DatagramsReceived.Add(1);

    public void DatagramMalformed() => _on?.DatagramsMalformed.Add(1);

    public void QueryReceived(KrpcMethod method) => _on?.QueriesReceived.Add(1, new KeyValuePair<string, object?>("method", QueryMethodName(method)));

    public void QuerySent(KrpcMethod method) => _on?.QueriesSent.Add(1, new KeyValuePair<string, object?>("method", QueryMethodName(method)));

    public void QueryRateLimited() => _on?.QueriesRateLimited.Add(1);

    public void ResponseReceived() => _on?.ResponsesReceived.Add(1);

    public void ErrorReceived() => _on?.ErrorsReceived.Add(1);

    public void Timeout() => _on?.Timeouts.Add(1);

    public void AnnounceAccepted() => _on?.AnnouncesAccepted.Add(1);

    public void IpBanned() => _on?.IpBans.Add(1);

    public void InternalError() => _on?.InternalErrors.Add(1);

    /// <summary>A reply left (<paramref name="tag"/> 0: a response; otherwise a KRPC error of that code).</summary>
    public void ReplySent(int tag)
    {
        if (tag == 0)
        {
            _on?.RepliesSent.Add(1);
        }
        else if (_on?.ErrorsSent is { Enabled: true } errorsSent)
        {
            errorsSent.Add(1, new KeyValuePair<string, object?>("code", tag)); // boxed only while someone listens
        }
    }

    /// <summary>A lookup ended (<paramref name="kind"/> and <paramref name="outcome"/> are constant strings).</summary>
    public void LookupEnded(string kind, string outcome, TimeSpan elapsed)
    {
        if (_on is null)
        {
            return;
        }

        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        _on.Lookups.Add(1, kindTag, new KeyValuePair<string, object?>("outcome", outcome));
        _on.LookupDuration.Record(elapsed.TotalSeconds, kindTag);
    }

    /// <summary>Under the gate, after the peer store changed.</summary>
    public void StoreChanged(int peers, int infoHashes)
    {
        Volatile.Write(ref _storedPeers, peers);
        Volatile.Write(ref _storedInfoHashes, infoHashes);
    }

    /// <summary>The node stopped: the gauges report nothing from now on, and a meter of the node's own is disposed.</summary>
    public void Dispose()
    {
        _stopped = true;
        if (_on is { OwnsMeter: true })
        {
            _on.Meter.Dispose();
        }
    }

    private static string QueryMethodName(KrpcMethod method) => Node.QueryMethods.Name(method);

    private IEnumerable<Measurement<int>> RoutingNodes() => ByFamily(static g => g.RoutingNodes);

    private IEnumerable<Measurement<int>> Outstanding() => ByFamily(static g => g.Outstanding);

    private IEnumerable<Measurement<int>> ByFamily(Func<FamilyGauges, int> value)
    {
        if (_stopped)
        {
            return [];
        }

        var measurements = new List<Measurement<int>>(2);
        foreach (FamilyGauges? family in (ReadOnlySpan<FamilyGauges?>)[V4, _v6])
        {
            if (family is { Running: true })
            {
                measurements.Add(new Measurement<int>(value(family), new KeyValuePair<string, object?>("family", family.Name)));
            }
        }

        return measurements;
    }

    private IEnumerable<Measurement<int>> Stored(ref int field) =>
        _stopped ? [] : [new Measurement<int>(Volatile.Read(ref field))];
}

/// <summary>One engine's gauges: written under the node's gate as the state changes, read by a meter listener from any thread.</summary>
internal sealed class FamilyGauges(string name)
{
    private int _routingNodes;
    private int _outstanding;
    private volatile bool _running;

    /// <summary>The family's tag value: <c>ipv4</c> or <c>ipv6</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Whether the node runs this family (set once, when its engine is built).</summary>
    public bool Running
    {
        get => _running;
        set => _running = value;
    }

    public int RoutingNodes
    {
        get => Volatile.Read(ref _routingNodes);
        set => Volatile.Write(ref _routingNodes, value);
    }

    public int Outstanding
    {
        get => Volatile.Read(ref _outstanding);
        set => Volatile.Write(ref _outstanding, value);
    }
}
