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
/// </remarks>
internal sealed class DhtMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _datagramsReceived;
    private readonly Counter<long> _datagramsMalformed;
    private readonly Counter<long> _queriesReceived;
    private readonly Counter<long> _queriesSent;
    private readonly Counter<long> _queriesRateLimited;
    private readonly Counter<long> _responsesReceived;
    private readonly Counter<long> _repliesSent;
    private readonly Counter<long> _errorsSent;
    private readonly Counter<long> _errorsReceived;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _announcesAccepted;
    private readonly Counter<long> _ipBans;
    private readonly Counter<long> _internalErrors;
    private readonly Counter<long> _lookups;
    private readonly Histogram<double> _lookupDuration;
    private int _storedPeers;
    private int _storedInfoHashes;
    private volatile bool _stopped;

    public DhtMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create(new MeterOptions(DhtDiagnostics.MeterName)) ?? new Meter(DhtDiagnostics.MeterName);
        _ownsMeter = factory is null;

        _meter.CreateObservableGauge("dht.routing.nodes", RoutingNodes, "{node}",
            "Nodes in the routing table, by address family (tag 'family': ipv4, ipv6).");
        _queriesReceived = _meter.CreateCounter<long>("dht.queries.received", "{query}",
            "Queries received from other nodes and handled, by KRPC method (tag 'method').");
        _queriesSent = _meter.CreateCounter<long>("dht.queries.sent", "{query}",
            "Queries sent to other nodes, by KRPC method (tag 'method').");
        _meter.CreateObservableGauge("dht.queries.outstanding", Outstanding, "{query}",
            "Queries in flight, by address family (tag 'family').");
        _queriesRateLimited = _meter.CreateCounter<long>("dht.queries.rate_limited", "{query}",
            "Queries dropped by the per-IP rate limit (not those of banned IPs: see dht.ip_bans).");
        _responsesReceived = _meter.CreateCounter<long>("dht.responses.received", "{response}",
            "Responses received that matched a query in flight.");
        _repliesSent = _meter.CreateCounter<long>("dht.replies.sent", "{reply}",
            "Responses sent to other nodes' queries.");
        _errorsSent = _meter.CreateCounter<long>("dht.errors.sent", "{error}",
            "KRPC errors sent, by error code (tag 'code').");
        _errorsReceived = _meter.CreateCounter<long>("dht.errors.received", "{error}",
            "KRPC errors received that matched a query in flight.");
        _timeouts = _meter.CreateCounter<long>("dht.timeouts", "{query}",
            "Queries sent that timed out.");
        _meter.CreateObservableGauge("dht.peers.stored", () => Stored(ref _storedPeers), "{peer}",
            "Peers stored for other nodes' announces, over all infohashes.");
        _meter.CreateObservableGauge("dht.infohashes.stored", () => Stored(ref _storedInfoHashes), "{infohash}",
            "Infohashes with stored peers.");
        _announcesAccepted = _meter.CreateCounter<long>("dht.announces.accepted", "{announce}",
            "announce_peer queries accepted from other nodes.");
        _datagramsReceived = _meter.CreateCounter<long>("dht.datagrams.received", "{datagram}",
            "UDP datagrams received.");
        _datagramsMalformed = _meter.CreateCounter<long>("dht.datagrams.malformed", "{datagram}",
            "Datagrams received that were not valid KRPC.");
        _ipBans = _meter.CreateCounter<long>("dht.ip_bans", "{ban}",
            "IPs banned for exceeding the per-IP rate limit again and again.");
        _internalErrors = _meter.CreateCounter<long>("dht.internal_errors", "{fault}",
            "Faults of the node's own code (a bug) that it survived.");
        _lookups = _meter.CreateCounter<long>("dht.lookups", "{lookup}",
            "Lookups run, by kind (tag 'kind': find_node, get_peers, announce, get, put, scrape) and outcome (tag 'outcome': completed, cancelled, failed).");
        _lookupDuration = _meter.CreateHistogram<double>("dht.lookup.duration", "s",
            "How long lookups took, by kind (tag 'kind').",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60] });
    }

    /// <summary>The IPv4 engine's gauges.</summary>
    public FamilyGauges V4 { get; } = new("ipv4");

    /// <summary>The IPv6 engine's gauges.</summary>
    public FamilyGauges V6 { get; } = new("ipv6");

    public void DatagramReceived() => _datagramsReceived.Add(1);

    public void DatagramMalformed() => _datagramsMalformed.Add(1);

    public void QueryReceived(KrpcMethod method) => _queriesReceived.Add(1, new KeyValuePair<string, object?>("method", QueryMethodName(method)));

    public void QuerySent(KrpcMethod method) => _queriesSent.Add(1, new KeyValuePair<string, object?>("method", QueryMethodName(method)));

    public void QueryRateLimited() => _queriesRateLimited.Add(1);

    public void ResponseReceived() => _responsesReceived.Add(1);

    public void ErrorReceived() => _errorsReceived.Add(1);

    public void Timeout() => _timeouts.Add(1);

    public void AnnounceAccepted() => _announcesAccepted.Add(1);

    public void IpBanned() => _ipBans.Add(1);

    public void InternalError() => _internalErrors.Add(1);

    /// <summary>A reply left (<paramref name="tag"/> 0: a response; otherwise a KRPC error of that code).</summary>
    public void ReplySent(int tag)
    {
        if (tag == 0)
        {
            _repliesSent.Add(1);
        }
        else if (_errorsSent.Enabled)
        {
            _errorsSent.Add(1, new KeyValuePair<string, object?>("code", tag)); // boxed only while someone listens
        }
    }

    /// <summary>A lookup ended (<paramref name="kind"/> and <paramref name="outcome"/> are constant strings).</summary>
    public void LookupEnded(string kind, string outcome, TimeSpan elapsed)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        _lookups.Add(1, kindTag, new KeyValuePair<string, object?>("outcome", outcome));
        _lookupDuration.Record(elapsed.TotalSeconds, kindTag);
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
        if (_ownsMeter)
        {
            _meter.Dispose();
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
        foreach (FamilyGauges family in (ReadOnlySpan<FamilyGauges>)[V4, V6])
        {
            if (family.Running)
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
