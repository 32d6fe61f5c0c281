using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MainlineDht.Simulation;

/// <summary>
/// The figures of one <see cref="SimulationRunner"/> run. Everything except the wall-clock time and
/// the memory figures is a function of the options alone: the same seed gives the same values.
/// </summary>
public sealed record SimulationReport
{
    /// <summary>The settings of the run.</summary>
    public required SimulationRunnerOptions Options { get; init; }

    /// <summary>Infohashes announced.</summary>
    public int InfoHashes { get; init; }

    /// <summary>Lookups that returned the announced peer.</summary>
    public int LookupsSucceeded { get; init; }

    /// <summary>Lookups run.</summary>
    public int LookupsRun { get; init; }

    /// <summary>The fraction of lookups that returned the announced peer, 0 to 1.</summary>
    public double SuccessRate => LookupsRun == 0 ? 0 : (double)LookupsSucceeded / LookupsRun;

    /// <summary>Virtual time of a <c>get_peers</c> lookup, start to end, in milliseconds.</summary>
    public required Distribution LookupMilliseconds { get; init; }

    /// <summary>
    /// Virtual time from the start of a <c>get_peers</c> lookup to the first peer it found, in
    /// milliseconds (<see cref="MainlineDht.Lookups.LookupReport.FirstPeerAfter"/>), over the lookups that found one.
    /// </summary>
    public Distribution FirstPeerMilliseconds { get; init; }

    /// <summary>
    /// Virtual time from the start of a lookup until the closest nodes it ended with had all answered,
    /// in milliseconds (<see cref="MainlineDht.Lookups.LookupReport.ClosestAnsweredAfter"/>).
    /// </summary>
    public Distribution ClosestMilliseconds { get; init; }

    /// <summary>Queries a lookup sent, on average.</summary>
    public double MessagesPerLookup { get; init; }

    /// <summary>Replies a lookup received, on average.</summary>
    public double RepliesPerLookup { get; init; }

    /// <summary>Queries of a lookup that timed out, on average.</summary>
    public double TimeoutsPerLookup { get; init; }

    /// <summary>The longest chain of replies in a lookup (hops).</summary>
    public required Distribution RoundTrips { get; init; }

    /// <summary>Every measured lookup, in the order they were started: what the distributions summarise (for a histogram or a CDF).</summary>
    public IReadOnlyList<SimulatedLookup> Lookups { get; init; } = [];

    /// <summary>
    /// Of the K nodes truly closest to the infohash (among nodes online and answering), the fraction
    /// that the lookups ended with, on average: 1 means every lookup found exactly the K closest.
    /// </summary>
    public double ClosestNodesRecall { get; init; }

    /// <summary>How many nodes accepted each announce.</summary>
    public required Distribution AnnouncedTo { get; init; }

    /// <summary>How many honest nodes accepted each announce (the announce's nodes that are not adversaries).</summary>
    public Distribution AnnouncedToHonest { get; init; }

    /// <summary>Sybils in the network.</summary>
    public int SybilNodes { get; init; }

    /// <summary>Poisoners in the network.</summary>
    public int PoisonNodes { get; init; }

    /// <summary>The share of Sybils among the (up to 8) closest nodes each lookup ended with, on average, 0 to 1.</summary>
    public double SybilShareOfClosest { get; init; }

    /// <summary>
    /// Nodes named in replies that the honest nodes' lookups did not follow as junk (see
    /// <see cref="DhtNodeStatistics.NodesIgnoredByReason"/>; a reply naming the querier itself, which
    /// real clients do, is not counted), summed.
    /// </summary>
    public long JunkNodesIgnored { get; init; }

    /// <summary>Live routing table sizes of the nodes online and answering, at the end.</summary>
    public required Distribution RoutingTableSizes { get; init; }

    /// <summary>Nodes that stopped answering.</summary>
    public int DeadNodes { get; init; }

    /// <summary>Nodes that left at once.</summary>
    public int NodesLeft { get; init; }

    /// <summary>How the network was built.</summary>
    public required PopulateReport Bootstrap { get; init; }

    /// <summary>Datagram counters of the whole run.</summary>
    public required SimulatedNetworkStatistics Network { get; init; }

    /// <summary>Virtual time of the whole run.</summary>
    public TimeSpan VirtualTime { get; init; }

    /// <summary>Wall-clock time of the whole run.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>The process's peak working set, in MiB.</summary>
    public double PeakMemoryMegabytes { get; init; }

    /// <summary>Time the process spent paused for garbage collection during the run.</summary>
    public TimeSpan GcPause { get; init; }

    /// <summary>Garbage collections during the run, by generation (0, 1, 2).</summary>
    public IReadOnlyList<int> GcCollections { get; init; } = [];

    /// <summary>
    /// The report as one JSON object. Keys other scripts rely on: <c>success_rate</c> (0..1),
    /// <c>lookup_ms</c> {<c>p50</c>, <c>p90</c>, <c>p99</c>}, <c>first_peer_ms</c> (the same, to the
    /// first peer found), <c>closest_ms</c> (until the closest nodes had answered), <c>messages_per_lookup</c>,
    /// <c>wall_seconds</c>, <c>peak_memory_mb</c>.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("success_rate", Round(SuccessRate, 6));
            json.WriteStartObject("lookup_ms");
            WriteDistribution(json, LookupMilliseconds, 1);
            json.WriteEndObject();
            json.WriteStartObject("first_peer_ms");
            WriteDistribution(json, FirstPeerMilliseconds, 1);
            json.WriteEndObject();
            json.WriteStartObject("closest_ms");
            WriteDistribution(json, ClosestMilliseconds, 1);
            json.WriteEndObject();
            json.WriteNumber("messages_per_lookup", Round(MessagesPerLookup, 2));
            json.WriteNumber("wall_seconds", Round(WallTime.TotalSeconds, 2));
            json.WriteNumber("peak_memory_mb", Round(PeakMemoryMegabytes, 1));

            json.WriteNumber("nodes", Options.Nodes);
            json.WriteNumber("lookups", LookupsRun);
            json.WriteNumber("lookups_succeeded", LookupsSucceeded);
            json.WriteNumber("infohashes", InfoHashes);
            json.WriteNumber("seed", Options.Seed);
            json.WriteStartObject("round_trip_ms");
            json.WriteNumber("min", Options.LatencyMin.TotalMilliseconds);
            json.WriteNumber("max", Options.LatencyMax.TotalMilliseconds);
            json.WriteEndObject();
            json.WriteNumber("loss", Options.Loss);
            json.WriteNumber("dead", Options.Dead);
            json.WriteNumber("churn", Options.Churn);
            json.WriteNumber("dead_nodes", DeadNodes);
            json.WriteNumber("nodes_left", NodesLeft);
            json.WriteNumber("replies_per_lookup", Round(RepliesPerLookup, 2));
            json.WriteNumber("timeouts_per_lookup", Round(TimeoutsPerLookup, 2));
            json.WriteStartObject("round_trips");
            WriteDistribution(json, RoundTrips, 2);
            json.WriteEndObject();
            json.WriteNumber("closest_nodes_recall", Round(ClosestNodesRecall, 4));
            json.WriteStartObject("announced_to");
            WriteDistribution(json, AnnouncedTo, 2);
            json.WriteEndObject();
            json.WriteStartObject("routing_table_size");
            WriteDistribution(json, RoutingTableSizes, 1);
            json.WriteEndObject();
            json.WriteStartObject("bootstrap");
            json.WriteNumber("waves", Bootstrap.Waves);
            json.WriteNumber("virtual_seconds", Round(Bootstrap.VirtualTime.TotalSeconds, 1));
            json.WriteNumber("wall_seconds", Round(Bootstrap.WallTime.TotalSeconds, 2));
            json.WriteNumber("datagrams", Bootstrap.DatagramsSent);
            json.WriteEndObject();
            json.WriteNumber("bytes_per_idle_node", Bootstrap.BytesPerIdleNode);
            json.WriteNumber("bytes_per_joined_node", Bootstrap.BytesPerJoinedNode);
            json.WriteStartObject("datagrams");
            json.WriteNumber("sent", Network.DatagramsSent);
            json.WriteNumber("delivered", Network.Delivered);
            json.WriteNumber("lost", Network.Lost);
            json.WriteNumber("to_unresponsive", Network.DroppedUnresponsive);
            json.WriteNumber("to_departed", Network.DroppedOffline);
            json.WriteNumber("unroutable", Network.Unroutable);
            json.WriteEndObject();
            json.WriteBoolean("public_addresses", Options.UsesPublicAddresses);
            json.WriteNumber("sybil", Options.Sybil);
            json.WriteNumber("poison", Options.Poison);
            json.WriteNumber("sybil_nodes", SybilNodes);
            json.WriteNumber("poison_nodes", PoisonNodes);
            json.WriteNumber("sybil_share_of_closest", Round(SybilShareOfClosest, 4));
            json.WriteStartObject("announced_to_honest");
            WriteDistribution(json, AnnouncedToHonest, 2);
            json.WriteEndObject();
            json.WriteNumber("junk_nodes_ignored", JunkNodesIgnored);
            json.WriteNumber("virtual_seconds", Round(VirtualTime.TotalSeconds, 1));
            json.WriteNumber("foreign_thread_calls", Network.ForeignThreadCalls);
            json.WriteNumber("gc_pause_seconds", Round(GcPause.TotalSeconds, 2));
            json.WriteStartArray("gc_collections");
            foreach (int count in GcCollections)
            {
                json.WriteNumberValue(count);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The report as a few lines of text for a person.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        SimulationRunnerOptions o = Options;
        text.AppendLine(c, $"network      {o.Nodes:N0} nodes, seed {o.Seed}, round trips {o.LatencyMin.TotalMilliseconds:0}-{o.LatencyMax.TotalMilliseconds:0} ms per link, loss {o.Loss:P1}, {DeadNodes:N0} unresponsive, {NodesLeft:N0} left at once");
        if (SybilNodes + PoisonNodes > 0)
        {
            text.AppendLine(c, $"adversaries  {SybilNodes:N0} Sybils, {PoisonNodes:N0} poisoners (public-like addresses); Sybils among the closest {SybilShareOfClosest:P1}; announces reached {AnnouncedToHonest.Mean:N1} honest nodes (min {AnnouncedToHonest.Min:N0}); {JunkNodesIgnored:N0} junk nodes ignored");
        }

        text.AppendLine(c, $"bootstrap    {Bootstrap.Waves} waves, {Bootstrap.VirtualTime.TotalSeconds:N0} s virtual, {Bootstrap.WallTime.TotalSeconds:N1} s wall, {Bootstrap.DatagramsSent:N0} datagrams");
        text.AppendLine(c, $"routing      table sizes mean {RoutingTableSizes.Mean:N1}, min {RoutingTableSizes.Min:N0}, p50 {RoutingTableSizes.P50:N0}, max {RoutingTableSizes.Max:N0}");
        text.AppendLine(c, $"announces    {InfoHashes} infohashes, stored on {AnnouncedTo.Mean:N1} nodes each (min {AnnouncedTo.Min:N0})");
        text.AppendLine(c, $"lookups      {LookupsSucceeded}/{LookupsRun} found the peer: success rate {SuccessRate:P2}");
        text.AppendLine(c, $"lookup time  p50 {LookupMilliseconds.P50:N0} ms, p90 {LookupMilliseconds.P90:N0} ms, p99 {LookupMilliseconds.P99:N0} ms, max {LookupMilliseconds.Max:N0} ms (virtual)");
        text.AppendLine(c, $"first peer   p50 {FirstPeerMilliseconds.P50:N0} ms, p90 {FirstPeerMilliseconds.P90:N0} ms, p99 {FirstPeerMilliseconds.P99:N0} ms; closest answered p50 {ClosestMilliseconds.P50:N0} ms, p99 {ClosestMilliseconds.P99:N0} ms");
        text.AppendLine(c, $"per lookup   {MessagesPerLookup:N1} queries, {RepliesPerLookup:N1} replies, {TimeoutsPerLookup:N1} timeouts, {RoundTrips.Mean:N2} round trips (max {RoundTrips.Max:N0}), K-closest recall {ClosestNodesRecall:P1}");
        text.AppendLine(c, $"traffic      {Network.DatagramsSent:N0} datagrams, {Network.Lost:N0} lost, {Network.DroppedUnresponsive:N0} to unresponsive nodes, {Network.DroppedOffline:N0} to departed nodes");
        text.AppendLine(c, $"cost         {WallTime.TotalSeconds:N1} s wall for {VirtualTime.TotalSeconds:N0} s virtual, peak memory {PeakMemoryMegabytes:N0} MiB, {Bootstrap.BytesPerIdleNode:N0} B per idle node, {Bootstrap.BytesPerJoinedNode:N0} B per joined node");
        return text.ToString();
    }

    private static void WriteDistribution(Utf8JsonWriter json, Distribution d, int digits)
    {
        json.WriteNumber("p50", Round(d.P50, digits));
        json.WriteNumber("p90", Round(d.P90, digits));
        json.WriteNumber("p99", Round(d.P99, digits));
        json.WriteNumber("mean", Round(d.Mean, digits));
        json.WriteNumber("min", Round(d.Min, digits));
        json.WriteNumber("max", Round(d.Max, digits));
    }

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}

/// <summary>One measured lookup of a simulation run.</summary>
/// <param name="Elapsed">Its time, start to end, in virtual time.</param>
/// <param name="RoundTrips">Its longest chain of replies (<see cref="MainlineDht.Lookups.LookupReport.RoundTrips"/>).</param>
/// <param name="NodesQueried">The queries it sent.</param>
/// <param name="Found">Whether it found the announced peer.</param>
public readonly record struct SimulatedLookup(TimeSpan Elapsed, int RoundTrips, int NodesQueried, bool Found)
{
    /// <summary>Its time to the first peer found, in virtual time; null when it found none.</summary>
    public TimeSpan? FirstPeer { get; init; }
}

/// <summary>A summary of a set of values: mean, extremes and nearest-rank percentiles.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="P50">The median.</param>
/// <param name="P90">The 90th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
/// <param name="Max">The largest value.</param>
public readonly record struct Distribution(double Mean, double Min, double P50, double P90, double P99, double Max)
{
    /// <summary>Summarizes <paramref name="values"/> (empty: all zero).</summary>
    public static Distribution Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            return default;
        }

        Array.Sort(sorted);
        return new Distribution(sorted.Average(), sorted[0], Rank(0.50), Rank(0.90), Rank(0.99), sorted[^1]);

        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
