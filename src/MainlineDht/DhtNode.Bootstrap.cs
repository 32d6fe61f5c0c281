using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht;

// Joining and staying joined: the bootstrap order (the given nodes, then the saved nodes, then the
// public routers), and bootstrapping again, with a growing delay, while the routing table has no
// live node.
public sealed partial class DhtNode
{
    /// <summary>Ends the bootstraps the node runs by itself when it stops.</summary>
    private readonly CancellationTokenSource _lifetime = new();

    /// <summary>Bootstrap names whose failure to resolve was reported: each once, until it resolves again.</summary>
    private readonly HashSet<string> _unresolved = [];

    /// <summary>The resolved given bootstrap nodes (and the public routers once they were needed): lookups start from them while the table is small.</summary>
    private IReadOnlyList<IPEndPoint> _bootstrapEndPoints = [];

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
    /// Joins the network: looks up our own id through the given bootstrap nodes; when none of them
    /// answers, through the nodes saved in the state file; when none of those answers either, through
    /// the public routers (if <see cref="DhtNodeOptions.UsePublicRouters"/>). Then one lookup per
    /// bucket distance fills the table. Returns the report of the steps taken (their counts summed).
    /// </summary>
    /// <remarks>
    /// From the first join on, the node keeps itself joined: while its routing table has no live
    /// node (this join found none, or every node later failed), it bootstraps again by itself after
    /// <see cref="DhtNodeOptions.BootstrapRetryDelay"/>, doubling up to
    /// <see cref="DhtNodeOptions.MaxBootstrapRetryDelay"/>. A join that finds no node, and a name
    /// that cannot be resolved, are reported to <see cref="DhtNodeOptions.OnWarning"/>.
    /// </remarks>
    public async Task<LookupReport> JoinAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _joinRequested = true;
            _bootstrapsRunning++;
        }

        try
        {
            return await BootstrapAsync(warn: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            AfterBootstrap();
        }
    }

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
            ObjectDisposedException.ThrowIf(_disposed, this);
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

    /// <summary>
    /// One bootstrap: through the given nodes, then the saved nodes, then the public routers, each
    /// step only when the ones before it left the table with no live node. A node with live nodes
    /// already looks its id up again the usual way.
    /// </summary>
    private async Task<LookupReport> BootstrapAsync(bool warn, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        if (IsJoined())
        {
            LookupReport again = await FindNodeAsync(Id, cancellationToken).ConfigureAwait(false);
            await RefreshAllBucketsAsync(cancellationToken).ConfigureAwait(false);
            return again;
        }

        var tried = new List<string>(3);
        LookupReport? report = null;
        IReadOnlyList<IPEndPoint> given = [];
        if (_options.BootstrapNodes.Count > 0)
        {
            given = await ResolveAsync(_options.BootstrapNodes, cancellationToken).ConfigureAwait(false);
            _bootstrapEndPoints = given;
            tried.Add(string.Join(", ", _options.BootstrapNodes));
            report = Sum(report, await FindNodeAsync(Id, given.Select(e => ((NodeId?)null, e)), cancellationToken).ConfigureAwait(false));
        }

        if (_savedNodes.Count > 0 && !IsJoined() && !cancellationToken.IsCancellationRequested)
        {
            tried.Add($"{_savedNodes.Count} saved nodes");
            report = Sum(report, await FindNodeAsync(Id, _savedNodes.Select(n => ((NodeId?)n.Id, n.EndPoint)), cancellationToken).ConfigureAwait(false));
        }

        if (_options.UsePublicRouters && !IsJoined() && !cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<IPEndPoint> routers = await ResolveAsync(DhtNodeOptions.DefaultBootstrapNodes, cancellationToken).ConfigureAwait(false);
            _bootstrapEndPoints = [.. given, .. routers];
            tried.Add("the public routers");
            report = Sum(report, await FindNodeAsync(Id, routers.Select(e => ((NodeId?)null, e)), cancellationToken).ConfigureAwait(false));
        }

        report = (report ?? new LookupReport { Target = Id }) with { Elapsed = _time.GetElapsedTime(started) };
        if (IsJoined())
        {
            await RefreshAllBucketsAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (warn && tried.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            _options.OnWarning?.Invoke($"join found no node: none answered ({string.Join("; then ", tried)})");
        }

        return report;
    }

    /// <summary>Two steps of one bootstrap as one report: counts summed, the closest nodes of the later step.</summary>
    private static LookupReport Sum(LookupReport? earlier, LookupReport later) => earlier is null ? later : later with
    {
        NodesQueried = earlier.NodesQueried + later.NodesQueried,
        Replies = earlier.Replies + later.Replies,
        Errors = earlier.Errors + later.Errors,
        Timeouts = earlier.Timeouts + later.Timeouts,
        RoundTrips = Math.Max(earlier.RoundTrips, later.RoundTrips),
        ClosestNodes = later.ClosestNodes.Count > 0 ? later.ClosestNodes : earlier.ClosestNodes,
        Cancelled = earlier.Cancelled || later.Cancelled,
    };

    /// <summary>Whether a join may find anything at all: a given node, a saved node or the public routers.</summary>
    private bool CanBootstrap => _options.BootstrapNodes.Count > 0 || _savedNodes.Count > 0 || _options.UsePublicRouters;

    /// <summary>True when the routing table has a node that is not bad (good or questionable).</summary>
    private bool IsJoined()
    {
        lock (_gate)
        {
            return HasLiveNode();
        }
    }

    /// <summary>Under the gate: whether the routing table has a node that is not bad.</summary>
    private bool HasLiveNode() =>
        _routing.Count > 0 && _routing.FindClosest(Id, _scratch.Closest.AsSpan(0, 1), includeQuestionable: true, _time.GetUtcNow()) > 0;

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
        lock (_gate)
        {
            _bootstrapsRunning--;
            if (_disposed)
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
        }

        news.Deliver(this);
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
            if (_disposed)
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
        try
        {
            await BootstrapAsync(warn: false, _lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // The node stopped.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nobody awaits this task: a failure is reported, and the next try is scheduled below.
            _options.OnWarning?.Invoke($"bootstrapping again failed: {e.Message}");
        }
        finally
        {
            AfterBootstrap();
        }
    }

    /// <summary>
    /// Upkeep, under the gate: notices a routing table that gained or lost its live nodes. Returns
    /// the news to deliver, and a warning the first time the table is found with no live node left.
    /// </summary>
    private Joined KeepJoined(out string? warning)
    {
        warning = null;
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
            warning = "no live node left in the routing table: bootstrapping again";
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
            if (!_disposed && HasLiveNode())
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

    /// <summary>
    /// Resolves <c>host:port</c> names to IPv4 endpoints. A name that cannot be resolved is skipped
    /// (the others may work) and reported once, until it resolves again.
    /// </summary>
    private async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (string name in names)
        {
            if (!HostEndPoint.TryParse(name, out HostEndPoint host))
            {
                continue; // options are validated: only a default list could hold one, and it does not
            }

            if (IPAddress.TryParse(host.Host, out IPAddress? address))
            {
                endPoints.Add(new IPEndPoint(address, host.Port));
                continue;
            }

            string? problem;
            try
            {
                IPAddress[] resolved = _options.ResolveHost is { } resolve
                    ? await resolve(host.Host, cancellationToken).ConfigureAwait(false)
                    : await Dns.GetHostAddressesAsync(host.Host, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
                int before = endPoints.Count;
                foreach (IPAddress resolvedAddress in resolved)
                {
                    if (resolvedAddress.AddressFamily == AddressFamily.InterNetwork)
                    {
                        endPoints.Add(new IPEndPoint(resolvedAddress, host.Port));
                    }
                }

                problem = endPoints.Count == before ? "it has no IPv4 address" : null;
            }
            catch (SocketException e)
            {
                problem = e.Message;
            }

            bool report;
            lock (_gate)
            {
                report = problem is not null && _unresolved.Add(name);
                if (problem is null)
                {
                    _unresolved.Remove(name);
                }
            }

            if (report)
            {
                _options.OnWarning?.Invoke($"could not resolve bootstrap node {name}: {problem}");
            }
        }

        return endPoints;
    }
}
