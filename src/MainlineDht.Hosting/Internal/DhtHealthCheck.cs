using MainlineDht.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// The hosted node's health (<see cref="DhtNode.Health"/>) as a health check:
/// <see cref="DhtHealth.Ready"/> is Healthy; <see cref="DhtHealth.Degraded"/> (fewer than 8 good
/// nodes) and <see cref="DhtHealth.Firewalled"/> (nobody reaches us) are Degraded: lookups work;
/// <see cref="DhtHealth.Bootstrapping"/> (no live node), <see cref="DhtHealth.Stopped"/> and a node
/// that is not running are the registration's failure status (Unhealthy by default). The description
/// says why (<see cref="DhtNode.HealthReason"/>); the data carries the figures.
/// </summary>
internal sealed class DhtHealthCheck(DhtNodeAccessor accessor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        HealthStatus failure = context.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        if (accessor.Node is not DhtNode node)
        {
            Exception? startFailure = accessor.StartFailure;
            string why = startFailure is null ? "the DHT node is not running" : $"the DHT node could not start: {startFailure.Message}";
            return Task.FromResult(new HealthCheckResult(failure, why, startFailure, new Dictionary<string, object> { ["health"] = nameof(DhtHealth.Stopped) }));
        }

        DhtNodeStatistics statistics = node.GetStatistics();
        string reason = node.HealthReason;
        IReadOnlyList<RoutingTableEntry> table = node.GetRoutingTable();
        int good = table.Count(e => e.State == NodeState.Good);
        int live = table.Count(e => e.State != NodeState.Bad);
        HealthStatus status = statistics.Health switch
        {
            DhtHealth.Ready => HealthStatus.Healthy,
            DhtHealth.Degraded or DhtHealth.Firewalled => HealthStatus.Degraded,
            _ => failure,
        };

        var data = new Dictionary<string, object>
        {
            ["health"] = statistics.Health.ToString(),
            ["reason"] = reason,
            ["node_id"] = node.Id.ToString(),
            ["routing_table_size"] = statistics.RoutingTableSize,
            ["routing_table_size_v4"] = statistics.RoutingTableSizeV4,
            ["routing_table_size_v6"] = statistics.RoutingTableSizeV6,
            ["live_nodes"] = live,
            ["good_nodes"] = good,
            ["outstanding_queries"] = statistics.OutstandingQueries,
            ["queries_received"] = statistics.QueriesReceived.Values.Sum(),
            ["responses_received"] = statistics.ResponsesReceived,
            ["timeouts"] = statistics.Timeouts,
            ["stored_peers"] = statistics.StoredPeers,
            ["read_only"] = statistics.ReadOnlyNow,
            ["internal_errors"] = statistics.InternalErrors,
        };
        return Task.FromResult(new HealthCheckResult(status, $"{statistics.Health}: {reason}", data: data));
    }
}
