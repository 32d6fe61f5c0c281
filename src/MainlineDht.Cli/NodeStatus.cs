using System.Globalization;
using System.Text.Json;
using MainlineDht.Routing;

namespace MainlineDht.Cli;

/// <summary>
/// One look at a running node for <c>node</c>'s status: its counters, its routing table by bucket depth
/// (the bits a node's id shares with ours), and the query rates since the previous look.
/// </summary>
internal sealed record NodeStatus
{
    public required DateTimeOffset Time { get; init; }

    public required DhtNodeStatistics Statistics { get; init; }

    /// <summary>Nodes in the routing tables by the number of leading bits their id shares with ours (index = bits).</summary>
    public required IReadOnlyList<int> TableByDepth { get; init; }

    /// <summary>Whether the table has a live node (one not marked bad): the node is part of the DHT.</summary>
    public required bool Joined { get; init; }

    public long QueriesReceived => Statistics.QueriesReceived.Values.Sum();

    public long QueriesSent => Statistics.QueriesSent.Values.Sum();

    public double ReceivedPerSecond { get; init; }

    public double SentPerSecond { get; init; }

    /// <summary>Looks at <paramref name="node"/> now; rates are over the time since <paramref name="previous"/> (or since <paramref name="started"/>).</summary>
    public static NodeStatus Take(DhtNode node, NodeStatus? previous, DateTimeOffset started)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DhtNodeStatistics statistics = node.GetStatistics();
        IReadOnlyList<RoutingTableEntry> table = node.GetRoutingTable();
        var byDepth = new List<int>();
        foreach (RoutingTableEntry entry in table)
        {
            int depth = node.Id.CommonPrefixLength(entry.Id);
            while (byDepth.Count <= depth)
            {
                byDepth.Add(0);
            }

            byDepth[depth]++;
        }

        var status = new NodeStatus { Time = now, Statistics = statistics, TableByDepth = byDepth, Joined = table.Any(e => e.State != NodeState.Bad) };
        double seconds = (now - (previous?.Time ?? started)).TotalSeconds;
        return seconds <= 0 ? status : status with
        {
            ReceivedPerSecond = (status.QueriesReceived - (previous?.QueriesReceived ?? 0)) / seconds,
            SentPerSecond = (status.QueriesSent - (previous?.QueriesSent ?? 0)) / seconds,
        };
    }

    /// <summary>
    /// The status as one line of JSON for <c>node --json</c>. The first six keys are the ones the
    /// command always printed (<c>id</c>, <c>address</c>, <c>routing_table_size</c>, <c>queries_served</c>,
    /// <c>stored_peers</c>, <c>warnings</c>); the others were added with the per-interval lines.
    /// </summary>
    public string ToJson(DhtNode node, Warnings warnings, bool stopped) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = node.Id.ToString(),
        ["address"] = node.LocalEndPoint.ToString(),
        ["routing_table_size"] = Statistics.RoutingTableSize,
        ["queries_served"] = Statistics.QueriesAnswered,
        ["stored_peers"] = Statistics.StoredPeers,
        ["warnings"] = warnings.ToArray(),
        ["time"] = Time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        ["stopped"] = stopped,
        ["joined"] = Joined,
        ["stored_infohashes"] = Statistics.StoredInfoHashes,
        ["queries_received"] = QueriesReceived,
        ["queries_sent"] = QueriesSent,
        ["queries_received_per_second"] = Math.Round(ReceivedPerSecond, 2),
        ["queries_sent_per_second"] = Math.Round(SentPerSecond, 2),
        ["routing_table_by_depth"] = TableByDepth,
        ["address_v6"] = node.LocalEndPointV6?.ToString(),
        ["routing_table_size_v4"] = Statistics.RoutingTableSizeV4,
        ["routing_table_size_v6"] = Statistics.RoutingTableSizeV6,
    });
}
