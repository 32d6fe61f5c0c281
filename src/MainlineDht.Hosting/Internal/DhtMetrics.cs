using System.Diagnostics.Metrics;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// The <c>MainlineDht</c> meter: observable instruments read from the running node's
/// <see cref="DhtNode.GetStatistics"/> when a listener collects, so the node's hot path pays
/// nothing for them. Before the node starts and after it stops they report nothing.
/// </summary>
/// <remarks>
/// Lookups (<c>dht.lookups</c>) are not measured: applications call the node's lookup methods
/// directly, not through the hosting layer, and the node keeps no lookup counter yet.
/// </remarks>
internal sealed class DhtMetrics
{
    public const string MeterName = "MainlineDht";

    private static readonly IEnumerable<Measurement<long>> NoLongs = [];
    private static readonly IEnumerable<Measurement<int>> NoInts = [];

    private readonly DhtNodeAccessor _accessor;

    public DhtMetrics(IMeterFactory meterFactory, DhtNodeAccessor accessor)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _accessor = accessor;
        Meter meter = meterFactory.Create(new MeterOptions(MeterName));

        meter.CreateObservableGauge("dht.routing.nodes", () => Now(s => s.RoutingTableSize), "{node}",
            "Nodes in the routing table.");
        meter.CreateObservableCounter("dht.queries.received", () => ByMethod(s => s.QueriesReceived), "{query}",
            "Queries received from other nodes, by KRPC method (tag 'method').");
        meter.CreateObservableCounter("dht.queries.sent", () => ByMethod(s => s.QueriesSent), "{query}",
            "Queries sent to other nodes, by KRPC method (tag 'method').");
        meter.CreateObservableGauge("dht.queries.outstanding", () => Now(s => s.OutstandingQueries), "{query}",
            "Queries in flight.");
        meter.CreateObservableCounter("dht.queries.rate_limited", () => Total(s => s.QueriesRateLimited), "{query}",
            "Queries dropped by the per-IP rate limit.");
        meter.CreateObservableCounter("dht.responses.received", () => Total(s => s.ResponsesReceived), "{response}",
            "Responses received that matched a query in flight.");
        meter.CreateObservableCounter("dht.errors.sent", ErrorsSent, "{error}",
            "KRPC errors sent, by error code (tag 'code').");
        meter.CreateObservableCounter("dht.errors.received", () => Total(s => s.ErrorsReceived), "{error}",
            "KRPC errors received that matched a query in flight.");
        meter.CreateObservableCounter("dht.timeouts", () => Total(s => s.Timeouts), "{query}",
            "Queries sent that timed out.");
        meter.CreateObservableGauge("dht.peers.stored", () => Now(s => s.StoredPeers), "{peer}",
            "Peers stored for other nodes' announces, over all infohashes.");
        meter.CreateObservableGauge("dht.infohashes.stored", () => Now(s => s.StoredInfoHashes), "{infohash}",
            "Infohashes with stored peers.");
        meter.CreateObservableCounter("dht.announces.accepted", () => Total(s => s.AnnouncesAccepted), "{announce}",
            "announce_peer queries accepted from other nodes.");
        meter.CreateObservableCounter("dht.datagrams.received", () => Total(s => s.DatagramsReceived), "{datagram}",
            "UDP datagrams received.");
        meter.CreateObservableCounter("dht.datagrams.malformed", () => Total(s => s.MalformedReceived), "{datagram}",
            "Datagrams received that were not valid KRPC.");
    }

    private DhtNodeStatistics? Statistics() => _accessor.Node?.GetStatistics();

    private IEnumerable<Measurement<int>> Now(Func<DhtNodeStatistics, int> value) =>
        Statistics() is { } s ? [new Measurement<int>(value(s))] : NoInts;

    private IEnumerable<Measurement<long>> Total(Func<DhtNodeStatistics, long> value) =>
        Statistics() is { } s ? [new Measurement<long>(value(s))] : NoLongs;

    private IEnumerable<Measurement<long>> ByMethod(Func<DhtNodeStatistics, IReadOnlyDictionary<string, long>> counts)
    {
        if (Statistics() is not { } s)
        {
            return NoLongs;
        }

        return [.. counts(s).Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("method", c.Key)))];
    }

    private IEnumerable<Measurement<long>> ErrorsSent()
    {
        if (Statistics() is not { } s)
        {
            return NoLongs;
        }

        return [.. s.ErrorsSent.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("code", c.Key)))];
    }
}
