using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht;

/// <summary>
/// A standing announcement: the node announces the infohash now and again every
/// <see cref="Interval"/> (stored peers expire after about 30 minutes) until this is disposed or
/// the node stops. Created by <see cref="DhtNode.StartAnnouncing"/>.
/// </summary>
public sealed class DhtAnnouncement : IAsyncDisposable
{
    private readonly DhtNode _node;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private Task _round = Task.CompletedTask;
    private LookupReport? _lastReport;
    private int _rounds;
    private bool _stopped;

    internal DhtAnnouncement(DhtNode node, NodeId infoHash, int port, bool impliedPort, TimeSpan interval)
    {
        _node = node;
        InfoHash = infoHash;
        Port = port;
        ImpliedPort = impliedPort;
        Interval = interval;
    }

    /// <summary>The infohash announced.</summary>
    public NodeId InfoHash { get; }

    /// <summary>The port announced (ignored with <see cref="ImpliedPort"/>).</summary>
    public int Port { get; }

    /// <summary>Whether the announce asks nodes to use our UDP source port.</summary>
    public bool ImpliedPort { get; }

    /// <summary>Time between announces.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many announce rounds have completed.</summary>
    public int Rounds
    {
        get
        {
            lock (_gate)
            {
                return _rounds;
            }
        }
    }

    /// <summary>The report of the last completed round, or null before the first completes.</summary>
    public LookupReport? LastReport
    {
        get
        {
            lock (_gate)
            {
                return _lastReport;
            }
        }
    }

    /// <summary>Raised after each round with its report (on the thread that completed it).</summary>
    public event EventHandler<LookupReport>? Announced;

    internal void Start(TimeProvider time) =>
        _timer = time.CreateTimer(static s => ((DhtAnnouncement)s!).OnTimer(), this, TimeSpan.Zero, Interval);

    internal void StopTimer()
    {
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
        }
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_stopped || !_round.IsCompleted)
            {
                return; // a round still running is not overtaken by the next
            }

            _round = RunRoundAsync();
        }
    }

    private async Task RunRoundAsync()
    {
        LookupReport report = await _node.AnnounceAsync(InfoHash, ImpliedPort ? 0 : Port, ImpliedPort).ConfigureAwait(false);
        lock (_gate)
        {
            _lastReport = report;
            _rounds++;
        }

        Announced?.Invoke(this, report);
    }

    /// <summary>Stops announcing (peers already stored elsewhere expire on their own).</summary>
    public async ValueTask DisposeAsync()
    {
        Task round;
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
            round = _round;
        }

        _node.Forget(this);
        await round.ConfigureAwait(false);
    }
}
