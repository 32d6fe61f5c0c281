namespace MainlineDht;

// Staying joined: noticing a routing table that gained or lost its live nodes, bootstrapping again
// with a growing delay while it has none, and releasing whoever waits for the first one.
public sealed partial class DhtNode
{
    private ITimer? _rebootstrapTimer;
    private TimeSpan _rebootstrapDelay;
    private bool _rebootstrapArmed;
    private bool _joinRequested;
    private int _bootstrapsRunning;
    private bool _hadLiveNode;
    private TaskCompletionSource? _joined;

    /// <summary>Set while the table has no live node after a join, or someone waits for one: each datagram received then checks for one.</summary>
    private volatile bool _watchForLiveNode;

    /// <summary>
    /// Completes when the routing table has a live node: at once when it has one; otherwise when a
    /// node enters it — through a bootstrap the node runs by itself after <see cref="JoinAsync"/>
    /// found none, or through a node that contacts this one.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The node stopped (also when it stops while this waits).</exception>
    public Task WaitUntilJoinedAsync(CancellationToken cancellationToken = default)
    {
        Task waiting;
        Joined news = default;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context.Disposed, this);
            if (HasLiveNode())
            {
                news = OnLive(afterBootstrap: false);
                waiting = Task.CompletedTask;
            }
            else
            {
                _joined ??= new TaskCompletionSource(_options.RunContinuationsInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
                _watchForLiveNode = true;
                waiting = _joined.Task;
            }
        }

        news.Deliver(this);
        return waiting.WaitAsync(cancellationToken);
    }

    /// <summary>Whether a join may find anything at all: a given node, a saved node or the public routers.</summary>
    private bool CanBootstrap => _options.BootstrapNodes.Count > 0 || _savedNodes.Length > 0 || _options.UsePublicRouters;

    /// <summary>True when the routing table has a node that is not bad (good or questionable).</summary>
    private bool IsJoined()
    {
        lock (_gate)
        {
            return HasLiveNode();
        }
    }

    /// <summary>Under the gate: whether a routing table has a node that is not bad.</summary>
    private bool HasLiveNode() =>
        _engines.Any(e => e.HasLiveNode(_time.GetUtcNow()));

    /// <summary>
    /// Under the gate, once a live node is seen: the bootstrap delay starts over, and the news is
    /// for <see cref="Joined.Deliver"/> outside the gate. A node that gained its first live node
    /// other than by a bootstrap (a node contacted it) looks its id up through it, as a join does.
    /// </summary>
    private Joined OnLive(bool afterBootstrap)
    {
        bool lookAround = !afterBootstrap && _joinRequested && !_hadLiveNode && _bootstrapsRunning == 0;
        if (lookAround)
        {
            _bootstrapsRunning++;
        }

        _rebootstrapDelay = _options.BootstrapRetryDelay;
        _hadLiveNode = true;
        _watchForLiveNode = false;
        TaskCompletionSource? waiters = _joined;
        _joined = null;
        return new Joined(waiters, lookAround);
    }

    /// <summary>Under the gate, when the table is seen with no live node: watch for one, and schedule a bootstrap.</summary>
    private void OnNotLive()
    {
        _hadLiveNode = false;
        _watchForLiveNode = true;
        ArmRebootstrap();
    }

    /// <summary>After a bootstrap: releases the waiters if it found a node, else schedules the next one.</summary>
    private void AfterBootstrap()
    {
        Joined news = default;
        DhtHealthChange? health;
        lock (_gate)
        {
            _bootstrapsRunning--;
            if (_context.Disposed)
            {
                return;
            }

            if (HasLiveNode())
            {
                news = OnLive(afterBootstrap: true);
            }
            else if (_joinRequested)
            {
                OnNotLive();
            }

            health = EvaluateHealth();
        }

        news.Deliver(this);
        DeliverHealth(health);
    }

    /// <summary>Under the gate: the next bootstrap, after the current delay, which then doubles (up to its maximum).</summary>
    private void ArmRebootstrap()
    {
        if (!_joinRequested || _rebootstrapArmed || _bootstrapsRunning > 0 || !CanBootstrap)
        {
            return;
        }

        _rebootstrapTimer ??= _time.CreateTimer(static s => ((DhtNode)s!).OnRebootstrapDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _rebootstrapTimer.Change(_rebootstrapDelay, Timeout.InfiniteTimeSpan);
        _rebootstrapArmed = true;
        TimeSpan doubled = _rebootstrapDelay * 2;
        _rebootstrapDelay = doubled < _options.MaxBootstrapRetryDelay ? doubled : _options.MaxBootstrapRetryDelay;
    }

    private void OnRebootstrapDue()
    {
        Joined news = default;
        lock (_gate)
        {
            _rebootstrapArmed = false;
            if (_context.Disposed)
            {
                return;
            }

            if (HasLiveNode())
            {
                news = OnLive(afterBootstrap: false);
            }
            else if (_bootstrapsRunning == 0)
            {
                _bootstrapsRunning++;
                news = new Joined(null, LookAround: true);
            }
        }

        news.Deliver(this);
    }

    /// <summary>A bootstrap the node runs by itself; it reports only what it cannot handle.</summary>
    private async Task RebootstrapAsync()
    {
        CancellationToken lifetime = LifetimeToken;
        try
        {
            await BootstrapAsync(warn: false, lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            // The node stopped.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nobody awaits this task: a failure is reported, and the next try is scheduled below.
            Diagnostics.Log.RebootstrapFailed(_context.Logger, e, e.Message);
        }
        finally
        {
            AfterBootstrap();
        }
    }

    /// <summary>
    /// Upkeep, under the gate: notices a routing table that gained or lost its live nodes. Returns
    /// the news to deliver, and whether to warn that the table was found with no live node left (the first time).
    /// </summary>
    private Joined KeepJoined(out bool noLiveNodeLeft)
    {
        noLiveNodeLeft = false;
        if (!_joinRequested)
        {
            return default;
        }

        if (HasLiveNode())
        {
            return OnLive(afterBootstrap: false);
        }

        if (_hadLiveNode && CanBootstrap && _bootstrapsRunning == 0)
        {
            noLiveNodeLeft = true;
        }

        OnNotLive();
        return default;
    }

    /// <summary>After a datagram, while the table has no live node: notices one that entered.</summary>
    private void CheckJoined()
    {
        Joined news = default;
        lock (_gate)
        {
            if (!_context.Disposed && HasLiveNode())
            {
                news = OnLive(afterBootstrap: false);
            }
        }

        news.Deliver(this);
    }

    /// <summary>What a change to a live routing table calls for, done outside the gate.</summary>
    /// <param name="Waiters">The callers of <see cref="WaitUntilJoinedAsync"/> to release.</param>
    /// <param name="LookAround">Run a bootstrap (counted in <c>_bootstrapsRunning</c> already).</param>
    private readonly record struct Joined(TaskCompletionSource? Waiters, bool LookAround)
    {
        public void Deliver(DhtNode node)
        {
            if (LookAround)
            {
                _ = node.RebootstrapAsync(); // started first: its first queries are out before a waiter looks
            }

            Waiters?.TrySetResult();
        }
    }
}
