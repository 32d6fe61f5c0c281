namespace MainlineDht.Node;

/// <summary>What the node's upkeep asks of the node (its routing tables and its bootstrap).</summary>
internal interface IUpkeepHost
{
    /// <summary>Under the gate: refreshes each routing table's stale buckets and pings the nodes waiting to be verified.</summary>
    void RefreshRouting(DateTimeOffset now);

    /// <summary>
    /// Under the gate: notices a routing table that gained or lost its live nodes (a table left with
    /// none bootstraps again). Returns what is to be done once the gate is released, if anything.
    /// </summary>
    Action? KeepJoined();

    /// <summary>Outside the gate: writes the state file.</summary>
    void SaveState();

    /// <summary>Outside the gate: checks the node's health (and tells of a change).</summary>
    void CheckHealth();
}

/// <summary>
/// The node's maintenance timer: every <see cref="Interval"/>, stored peers and BEP 44 items past
/// their lifetime expire, stale buckets are refreshed and candidates verified, the node notices whether it is
/// still joined, and every <see cref="SaveEveryTicks"/> ticks the state file is written.
/// </summary>
internal sealed class Upkeep
{
    /// <summary>Time between two ticks.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>The state is saved every this many ticks: every 5 minutes.</summary>
    public const int SaveEveryTicks = 10;

    private readonly NodeContext _node;
    private readonly IUpkeepHost _host;
    private ITimer? _timer;
    private int _ticks;

    public Upkeep(NodeContext node, IUpkeepHost host)
    {
        _node = node;
        _host = host;
    }

    /// <summary>Starts the timer (under the gate).</summary>
    public void Start() =>
        _timer ??= _node.Time.CreateTimer(static s => ((Upkeep)s!).OnTick(), this, Interval, Interval);

    /// <summary>Stops the timer (under the gate).</summary>
    public void Stop() => _timer?.Dispose();

    private void OnTick()
    {
        bool save;
        Action? afterwards;
        lock (_node.Gate)
        {
            if (_node.Disposed)
            {
                return;
            }

            DateTimeOffset now = _node.Time.GetUtcNow();
            _node.Peers.RemoveExpired(now);
            _node.Metrics.StoreChanged(_node.Peers.PeerCount, _node.Peers.InfoHashCount);
            _node.Items.RemoveExpired(now);
            _host.RefreshRouting(now);
            afterwards = _host.KeepJoined();
            save = _node.Options.StateFile is not null && ++_ticks % SaveEveryTicks == 0;
        }

        _node.Outbox.Flush();
        afterwards?.Invoke();
        _host.CheckHealth();
        if (save)
        {
            _host.SaveState();
        }
    }
}
