using System.Net.Sockets;
using MainlineDht.Persistence;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht;

public sealed partial class DhtNode
{
    private readonly StateFile? _stateFile;

    /// <summary>What happened to the state file at start, in one line; null when no state file is configured.</summary>
    /// <remarks>The same as <see cref="StateLoadStatus"/>'s <see cref="StateLoadStatus.Message"/>.</remarks>
    public string? StateFileStatus => _stateFile?.Status?.Message;

    /// <summary>What happened to the state file at start; null when no state file is configured.</summary>
    public StateLoadStatus? StateLoadStatus => _stateFile?.Status;

    /// <summary>
    /// Writes the node id and routing tables to <see cref="DhtNodeOptions.StateFile"/> now (it is
    /// also written every 5 minutes and when the node stops). False when no state file is set or
    /// it could not be written (the reason is logged as a warning, <see cref="DhtNodeOptions.LoggerFactory"/>).
    /// </summary>
    public bool SaveState() => _stateFile?.TrySave(GetState()) ?? false;

    /// <summary>A snapshot of what a state file would hold now.</summary>
    public DhtNodeState GetState()
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            return new DhtNodeState
            {
                NodeId = Id,
                SavedAt = now,
                Nodes = Saved(EngineOf(AddressFamily.InterNetwork)?.Routing, now),
                Nodes6 = Saved(EngineOf(AddressFamily.InterNetworkV6)?.Routing, now),
                Routers = [.. _answeredRouters],
            };
        }
    }

    private static List<SavedNode> Saved(RoutingTable? table, DateTimeOffset now) =>
        table is null
            ? []
            : table.Snapshot(now).Select(e => new SavedNode(e.Id, e.EndPoint, e.LastQuery > e.LastReply ? e.LastQuery.Value : e.LastReply)).ToList();
}
