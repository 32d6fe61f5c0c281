using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>The state is saved every this many upkeep ticks (of 30 s): every 5 minutes.</summary>
    private const int SaveEveryTicks = 10;

    /// <summary>What happened to the state file at start; null when no state file is configured.</summary>
    public string? StateFileStatus { get; private set; }

    /// <summary>
    /// Writes the node id and routing table to <see cref="DhtNodeOptions.StateFile"/> now (it is
    /// also written every 5 minutes and when the node stops). False when no state file is set or
    /// it could not be written (the reason goes to <see cref="DhtNodeOptions.OnWarning"/>).
    /// </summary>
    public bool SaveState() => TrySaveState();

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
                Nodes = _routing.Snapshot(now).Select(e => new SavedNode(e.Id, e.EndPoint, e.LastQuery > e.LastReply ? e.LastQuery.Value : e.LastReply)).ToList(),
            };
        }
    }

    private bool TrySaveState()
    {
        string? path = _options.StateFile;
        if (path is null || !_stateWritable)
        {
            return false;
        }

        try
        {
            GetState().Save(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.OnWarning?.Invoke($"could not save the DHT state to {path}: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Reads the state file, if any. A file that is not a valid state of ours is moved aside (never
    /// lost, never overwritten) and the node starts fresh; a file that cannot be read at all is
    /// left alone and not written over.
    /// </summary>
    private DhtNodeState? LoadState(DhtNodeOptions options)
    {
        string? path = options.StateFile;
        if (path is null)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            StateFileStatus = $"no state file at {path} yet: starting fresh";
            return null;
        }

        try
        {
            if (DhtNodeState.TryLoad(path, out DhtNodeState? state, out string? problem))
            {
                StateFileStatus = $"loaded {state!.Nodes.Count} nodes from {path}";
                return state;
            }

            string aside = DhtNodeState.SetAside(path, options.TimeProvider.GetUtcNow());
            StateFileStatus = $"state file {path} is invalid ({problem}); moved it to {aside} and started fresh";
            options.OnWarning?.Invoke(StateFileStatus);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _stateWritable = false;
            StateFileStatus = $"cannot read state file {path} ({e.Message}); it is left untouched and will not be written";
            options.OnWarning?.Invoke(StateFileStatus);
            return null;
        }
    }
}
