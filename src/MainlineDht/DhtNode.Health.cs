using System.Globalization;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Node;
using MainlineDht.Protocol;

namespace MainlineDht;

// Health: the rules of DhtHealth, the change event, and the switch to BEP 43 read-only while the node
// finds itself firewalled (and back).
public sealed partial class DhtNode
{
    /// <summary>A firewalled node in read-only mode tries being reachable again after this many <see cref="DhtNodeOptions.FirewalledAfter"/>.</summary>
    private const int ProbeAfterFirewalledPeriods = 6;

    private static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The good nodes are counted again at a health check when the tables shrank, or grew while fewer
    /// than K were good, or this long after the last count: a count reads every routing entry (a tenth
    /// of a busy simulated node's time when it ran at every check; 2% when a joining table's every new
    /// node triggered it), while a node turns questionable only after 15 minutes of silence and bad
    /// after failures that take seconds. A table that grows cannot make a ready node less ready.
    /// </summary>
    private static readonly TimeSpan GoodCountInterval = TimeSpan.FromSeconds(5);

    private DhtHealth _health = DhtHealth.Bootstrapping;
    private string _healthReason = "no live node in the routing table"; // what Bootstrapping means until the first evaluation
    private long _joinedAt;
    private long _leftReadOnlyAt;
    private long _readOnlySince;
    private long _lastHealthCheck;

    /// <summary>The last count of good nodes, when it was made, and the tables' size then.</summary>
    private int _goodCount;
    private long _goodCountedAt;
    private int _goodCountedTableSize = -1;

    /// <summary>The reason given for <see cref="_goodCount"/> (Ready or Degraded); made only when the count changed.</summary>
    private string? _goodReason;

    /// <summary>How the node is doing now (the rules are on <see cref="DhtHealth"/>).</summary>
    public DhtHealth Health
    {
        get
        {
            lock (_gate)
            {
                return _health;
            }
        }
    }

    /// <summary>
    /// Why <see cref="Health"/> is what it is, in one line, as of its last evaluation (for example
    /// "12 good nodes", or "no live node in the routing table"): what <see cref="DhtHealthChange.Reason"/>
    /// said, kept up to date between changes.
    /// </summary>
    public string HealthReason
    {
        get
        {
            lock (_gate)
            {
                return _healthReason;
            }
        }
    }

    /// <summary>
    /// Raised when <see cref="Health"/> changes, outside the node's gate, on the thread that noticed
    /// (the upkeep timer's, a receive loop's, a bootstrap's, or the one that disposed the node). A
    /// handler that throws is logged as a warning (<see cref="DhtNodeOptions.LoggerFactory"/>); every
    /// change is logged too (Information).
    /// </summary>
    public event EventHandler<DhtHealthChange>? HealthChanged;

    /// <summary>Under the gate: applies the rules, switches read-only when firewalled (and back), and returns the change, if any.</summary>
    private DhtHealthChange? EvaluateHealth()
    {
        long now = _time.GetTimestamp();
        Volatile.Write(ref _lastHealthCheck, now);
        (DhtHealth next, string reason) = _context.Disposed ? (DhtHealth.Stopped, "stopped") : Rules(now);
        _healthReason = reason;
        if (next == _health)
        {
            return null;
        }

        var change = new DhtHealthChange(_health, next, reason);
        _health = next;
        return change;
    }

    private (DhtHealth Health, string Reason) Rules(long now)
    {
        if (!HasLiveNode())
        {
            _joinedAt = 0;
            return (DhtHealth.Bootstrapping, "no live node in the routing table");
        }

        if (_joinedAt == 0)
        {
            _joinedAt = now;
        }

        TimeSpan quietLimit = _options.FirewalledAfter;
        if (_context.AutoReadOnly)
        {
            bool probe = _time.GetElapsedTime(_readOnlySince, now) >= quietLimit * ProbeAfterFirewalledPeriods;
            if (_context.QueryWhileAutoReadOnly || probe)
            {
                // A query reached us (or it is time to try again): answer queries again.
                _context.AutoReadOnly = false;
                _context.QueryWhileAutoReadOnly = false;
                _leftReadOnlyAt = now;
            }
        }

        long quietSince = Math.Max(_joinedAt, Math.Max(_context.LastQueryReceived, _leftReadOnlyAt));
        if (!_options.ReadOnly && OnPublicInternet() && (_context.AutoReadOnly || _time.GetElapsedTime(quietSince, now) >= quietLimit))
        {
            if (_options.ReadOnlyWhenFirewalled && !_context.AutoReadOnly)
            {
                _context.AutoReadOnly = true;
                _readOnlySince = now;
            }

            return (DhtHealth.Firewalled, string.Create(CultureInfo.InvariantCulture,
                $"our queries are answered, but no query reached us for {quietLimit.TotalMinutes:0.#} min{(_context.AutoReadOnly ? "; running read-only (BEP 43) until one does" : string.Empty)}"));
        }

        CountGoodNodes(now);
        return (_goodCount >= Traversal.K ? DhtHealth.Ready : DhtHealth.Degraded, _goodReason!);
    }

    /// <summary>
    /// Under the gate: counts the good nodes of every table again when due (<see cref="GoodCountInterval"/>)
    /// into <see cref="_goodCount"/>, and makes <see cref="_goodReason"/> when the count changed.
    /// </summary>
    private void CountGoodNodes(long now)
    {
        int size = 0;
        foreach (DhtEngine engine in _engines)
        {
            size += engine.Routing.Count;
        }

        bool changed = size < _goodCountedTableSize || (size > _goodCountedTableSize && _goodCount < Traversal.K);
        if (changed || _time.GetElapsedTime(_goodCountedAt, now) >= GoodCountInterval)
        {
            DateTimeOffset wall = _time.GetUtcNow();
            int good = 0;
            foreach (DhtEngine engine in _engines)
            {
                good += engine.Routing.CountGood(wall);
            }

            if (good != _goodCount || _goodReason is null)
            {
                _goodReason = good >= Traversal.K
                    ? string.Create(CultureInfo.InvariantCulture, $"{good} good nodes")
                    : string.Create(CultureInfo.InvariantCulture, $"{good} good nodes, fewer than {Traversal.K}");
            }

            _goodCount = good;
            _goodCountedAt = now;
            _goodCountedTableSize = size;
        }
    }

    /// <summary>
    /// Under the gate: whether the node is on the public internet (bound to a public address, or its
    /// BEP 42 vote says its address is one). Only there can it be firewalled: a node of a loopback or
    /// LAN swarm may rightly hear nothing for a long while.
    /// </summary>
    private bool OnPublicInternet()
    {
        foreach (DhtEngine engine in _engines)
        {
            if (IpRanges.Classify(engine.Transport.LocalEndPoint.Address) == AddressKind.Public
                || (engine.ExternalAddress is IPAddress external && IpRanges.Classify(external) == AddressKind.Public))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Outside the gate: evaluates the health and tells of a change.</summary>
    private void CheckHealth()
    {
        DhtHealthChange? change;
        lock (_gate)
        {
            change = EvaluateHealth();
        }

        DeliverHealth(change);
    }

    /// <summary>Outside the gate, after a datagram: checks the health at most once a second, and at once when a query reached a node read-only by itself.</summary>
    private void CheckHealthAfterDatagram()
    {
        if (_context.QueryWhileAutoReadOnly || _time.GetElapsedTime(Volatile.Read(ref _lastHealthCheck)) >= HealthCheckInterval)
        {
            CheckHealth();
        }
    }

    /// <summary>Outside the gate: raises <see cref="HealthChanged"/>.</summary>
    private void DeliverHealth(DhtHealthChange? change)
    {
        if (change is null)
        {
            return;
        }

        Diagnostics.Log.HealthChanged(_context.Logger, change.Previous, change.Current, change.Reason);
        try
        {
            HealthChanged?.Invoke(this, change);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Diagnostics.Log.HealthHandlerFailed(_context.Logger, e, e.Message);
        }
    }
}
