using System.Diagnostics;
using System.Diagnostics.Metrics;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MainlineDht.Diagnostics;

/// <summary>
/// One node's logger, instruments and activity source (<see cref="DhtDiagnostics"/> names them).
/// The node owns it and disposes it when it stops; two nodes share nothing but a meter factory's meter.
/// </summary>
internal sealed class NodeDiagnostics : IDisposable
{
    private readonly GuardedLogger? _guarded;

    public NodeDiagnostics(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, TimeProvider time)
    {
        if (loggerFactory is null)
        {
            Logger = NullLogger.Instance;
        }
        else
        {
            _guarded = new GuardedLogger(loggerFactory.CreateLogger(DhtDiagnostics.LoggerCategory));
            Logger = _guarded;
        }

        Metrics = new DhtMetrics(meterFactory);
        Source = new ActivitySource(DhtDiagnostics.ActivitySourceName, typeof(NodeDiagnostics).Assembly.GetName().Version?.ToString());
        Time = time;
    }

    /// <summary>The node's logger: never throws (a failing logger is counted in <see cref="LoggerFaults"/>).</summary>
    public ILogger Logger { get; }

    public DhtMetrics Metrics { get; }

    /// <summary>The node's activity source: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null, at no cost, while nobody listens.</summary>
    public ActivitySource Source { get; }

    public TimeProvider Time { get; }

    /// <summary>How many times the logger threw (counted as internal errors).</summary>
    public long LoggerFaults => _guarded?.Faults ?? 0;

    public void Dispose()
    {
        Metrics.Dispose();
        Source.Dispose();
    }
}

/// <summary>
/// One lookup, announce, item get/put or scrape as it is measured and traced: an activity (when
/// someone listens) tagged with the target, the outcome and the report's figures, and the
/// <c>dht.lookups</c> / <c>dht.lookup.duration</c> instruments. A default scope does nothing.
/// </summary>
internal readonly struct LookupScope
{
    public const string FindNode = "find_node";
    public const string GetPeers = "get_peers";
    public const string Announce = "announce";
    public const string GetItem = "get";
    public const string PutItem = "put";
    public const string Scrape = "scrape";

    private readonly NodeDiagnostics? _diagnostics;
    private readonly Activity? _activity;
    private readonly string _kind;
    private readonly long _started;

    private LookupScope(NodeDiagnostics diagnostics, Activity? activity, string kind, long started)
    {
        _diagnostics = diagnostics;
        _activity = activity;
        _kind = kind;
        _started = started;
    }

    /// <summary>Starts measuring a lookup of <paramref name="kind"/> (one of the constants) toward <paramref name="target"/>.</summary>
    public static LookupScope Start(NodeDiagnostics? diagnostics, string kind, NodeId target)
    {
        if (diagnostics is null)
        {
            return default;
        }

        Activity? activity = diagnostics.Source.StartActivity(ActivityName(kind), ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("dht.target", target.ToString());
        }

        return new LookupScope(diagnostics, activity, kind, diagnostics.Time.GetTimestamp());
    }

    /// <summary>The activity's name for a kind: <c>dht.find_node</c>, <c>dht.get_peers</c>, <c>dht.announce</c>, <c>dht.get</c>, <c>dht.put</c>, <c>dht.scrape</c>.</summary>
    public static string ActivityName(string kind) => kind switch
    {
        FindNode => "dht.find_node",
        GetPeers => "dht.get_peers",
        Announce => "dht.announce",
        GetItem => "dht.get",
        PutItem => "dht.put",
        Scrape => "dht.scrape",
        _ => "dht." + kind,
    };

    /// <summary>The lookup ended with <paramref name="report"/>; <paramref name="tag"/> adds what is the operation's own (items found, nodes that stored).</summary>
    public void Complete(LookupReport report, (string Key, object? Value) tag = default)
    {
        if (_diagnostics is null)
        {
            return;
        }

        string outcome = report.Cancelled ? "cancelled" : "completed";
        _diagnostics.Metrics.LookupEnded(_kind, outcome, _diagnostics.Time.GetElapsedTime(_started));
        if (_activity is null)
        {
            return;
        }

        if (_activity.IsAllDataRequested)
        {
            _activity.SetTag("dht.outcome", outcome);
            _activity.SetTag("dht.nodes_queried", report.NodesQueried);
            _activity.SetTag("dht.replies", report.Replies);
            _activity.SetTag("dht.errors", report.Errors);
            _activity.SetTag("dht.timeouts", report.Timeouts);
            _activity.SetTag("dht.round_trips", report.RoundTrips);
            _activity.SetTag("dht.closest_nodes", report.ClosestNodes.Count);
            if (_kind is GetPeers or Announce)
            {
                _activity.SetTag("dht.peers_found", report.PeersFound);
            }

            if (_kind == Announce)
            {
                _activity.SetTag("dht.announced_to", report.AnnouncedTo.Count);
            }

            if (tag.Key is not null)
            {
                _activity.SetTag(tag.Key, tag.Value);
            }
        }

        _activity.Dispose();
    }

    /// <summary>The lookup threw <paramref name="exception"/> (the caller rethrows it).</summary>
    public void Fail(Exception exception)
    {
        if (_diagnostics is null)
        {
            return;
        }

        string outcome = exception is OperationCanceledException ? "cancelled" : "failed";
        _diagnostics.Metrics.LookupEnded(_kind, outcome, _diagnostics.Time.GetElapsedTime(_started));
        if (_activity is null)
        {
            return;
        }

        _activity.SetTag("dht.outcome", outcome);
        _activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        _activity.AddException(exception);
        _activity.Dispose();
    }
}

/// <summary>A crawl as it is traced: one <c>dht.crawl</c> activity from its start to its end, tagged with its statistics.</summary>
internal readonly struct CrawlScope
{
    private readonly Activity? _activity;

    private CrawlScope(Activity? activity) => _activity = activity;

    public static CrawlScope Start(NodeDiagnostics? diagnostics) =>
        new(diagnostics?.Source.StartActivity("dht.crawl", ActivityKind.Internal));

    public void End(CrawlStatistics statistics, Exception? exception)
    {
        if (_activity is null)
        {
            return;
        }

        if (_activity.IsAllDataRequested)
        {
            _activity.SetTag("dht.outcome", exception is null or OperationCanceledException ? "completed" : "failed");
            _activity.SetTag("dht.queries", statistics.QueriesSent);
            _activity.SetTag("dht.nodes_queried", statistics.NodesQueried);
            _activity.SetTag("dht.replies", statistics.Replies);
            _activity.SetTag("dht.samples", statistics.Samples);
            _activity.SetTag("dht.new_infohashes", statistics.NewInfoHashes);
            _activity.SetTag("dht.errors", statistics.Errors);
            _activity.SetTag("dht.timeouts", statistics.Timeouts);
            _activity.SetTag("dht.elapsed_s", statistics.Elapsed.TotalSeconds);
        }

        if (exception is not null and not OperationCanceledException)
        {
            _activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            _activity.AddException(exception);
        }

        _activity.Dispose();
    }
}
