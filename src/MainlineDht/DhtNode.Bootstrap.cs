using System.Net;
using System.Net.Sockets;
using MainlineDht.Diagnostics;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

// Joining: the bootstrap order (the given nodes, then the saved nodes, then the public routers)
// and the resolution of their names. Staying joined is in DhtNode.Rejoin.cs.
public sealed partial class DhtNode
{
    /// <summary>Ends the work the node runs by itself (bootstraps, crawls, a lookup of a new id) when it stops; made when first needed.</summary>
    private CancellationTokenSource? _lifetime;

    /// <summary>The token of <see cref="_lifetime"/>; cancelled already once the node stopped.</summary>
    private CancellationToken LifetimeToken
    {
        get
        {
            lock (_gate)
            {
                return _context.Disposed ? new CancellationToken(canceled: true) : (_lifetime ??= new()).Token;
            }
        }
    }

    /// <summary>Bootstrap names whose failure to resolve was reported: each once, until it resolves again.</summary>
    private HashSet<string>? _unresolved; // made at the first name that does not resolve

    /// <summary>The resolved given bootstrap nodes (and the public routers once they were needed): lookups start from them while the table is small.</summary>
    private IReadOnlyList<IPEndPoint> _bootstrapEndPoints = [];

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
    /// that cannot be resolved, are logged as warnings (<see cref="DhtNodeOptions.LoggerFactory"/>).
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
    /// One bootstrap: through the given nodes (and the public routers that answered last time), then
    /// the saved nodes, then the public routers, each step only when the ones before it left the table
    /// with no live node; every node of a step is asked at once. A node with live nodes already looks
    /// its id up again the usual way. Leaves its report in <see cref="LastBootstrapReport"/>.
    /// </summary>
    private async Task<LookupReport> BootstrapAsync(bool warn, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        DateTimeOffset startedAt = _time.GetUtcNow();
        if (IsJoined())
        {
            LookupReport again = await FindNodeAsync(Id, cancellationToken).ConfigureAwait(false);
            await RefreshAllBucketsAsync(cancellationToken).ConfigureAwait(false);
            Publish(new BootstrapReport { StartedAt = startedAt, Elapsed = _time.GetElapsedTime(started), Joined = true, Lookup = again });
            return again;
        }

        var tried = new List<string>(3);
        var names = new List<BootstrapNodeReport>();
        LookupReport? report = null;
        List<string> first = FirstBootstrapNames();
        IPEndPoint[] given = [];
        if (first.Count > 0)
        {
            List<ResolvedName> resolved = await ResolveAsync(first, cancellationToken).ConfigureAwait(false);
            given = resolved.SelectMany(r => r.Addresses).ToArray(); // kept: a plain array, no list and wrapper
            _bootstrapEndPoints = given;
            tried.Add(string.Join(", ", first));
            (LookupReport step, IReadOnlyList<StartingOutcome> outcomes) = await _lookups.BootstrapAsync(Id, [.. given.Select(e => ((NodeId?)null, e))], cancellationToken).ConfigureAwait(false);
            report = Sum(report, step);
            names.AddRange(Summarize(resolved, outcomes));
        }

        int savedTried = 0, savedAnswered = 0;
        if (_savedNodes.Length > 0 && !IsJoined() && !cancellationToken.IsCancellationRequested)
        {
            tried.Add($"{_savedNodes.Length} saved nodes");
            (LookupReport step, IReadOnlyList<StartingOutcome> outcomes) = await _lookups.BootstrapAsync(Id, [.. _savedNodes.Select(n => ((NodeId?)n.Id, n.EndPoint))], cancellationToken).ConfigureAwait(false);
            report = Sum(report, step);
            savedTried = outcomes.Count;
            savedAnswered = outcomes.Count(o => o.Status == RpcStatus.Response);
        }

        if (_options.UsePublicRouters && !IsJoined() && !cancellationToken.IsCancellationRequested)
        {
            List<string> routers = [.. DhtNodeOptions.DefaultBootstrapNodes.Where(r => !first.Contains(r))];
            List<ResolvedName> resolved = await ResolveAsync(routers, cancellationToken).ConfigureAwait(false);
            _bootstrapEndPoints = given.Concat(resolved.SelectMany(r => r.Addresses)).ToArray();
            tried.Add("the public routers");
            (LookupReport step, IReadOnlyList<StartingOutcome> outcomes) = await _lookups.BootstrapAsync(Id, [.. resolved.SelectMany(r => r.Addresses).Select(e => ((NodeId?)null, e))], cancellationToken).ConfigureAwait(false);
            report = Sum(report, step);
            names.AddRange(Summarize(resolved, outcomes));
        }

        report = (report ?? new LookupReport { Target = Id }) with { Elapsed = _time.GetElapsedTime(started) };
        bool joined = IsJoined();
        TimeSpan? retryIn = RetryDelay(joined);
        RememberAnsweredRouters(names);
        Publish(new BootstrapReport
        {
            StartedAt = startedAt,
            Elapsed = report.Elapsed,
            Nodes = names,
            SavedNodesTried = savedTried,
            SavedNodesAnswered = savedAnswered,
            Joined = joined,
            RetryIn = retryIn,
            Lookup = report,
        });
        if (joined)
        {
            await RefreshAllBucketsAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (warn && tried.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            if (_context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Warning))
            {
                string again = retryIn is TimeSpan delay
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; bootstrapping again in {delay.TotalSeconds:0.#} s, then at growing intervals up to {_options.MaxBootstrapRetryDelay.TotalMinutes:0.#} min")
                    : string.Empty;
                Log.JoinFoundNoNode(_context.Logger, string.Join("; then ", tried), again);
            }
        }
        else if (!warn && !cancellationToken.IsCancellationRequested)
        {
            Log.RebootstrapFoundNoNode(_context.Logger, report.NodesQueried, report.Timeouts, retryIn);
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

    /// <summary>The families the node runs, as a warning names them.</summary>
    private string Families => string.Join(" or ", _engines.Select(e => e.Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6"));

    /// <summary>
    /// Resolves <c>host:port</c> names to endpoints of the families the node runs, name by name. A
    /// name that cannot be resolved is kept with its problem (the others may work) and reported once,
    /// until it resolves again.
    /// </summary>
    private async Task<List<ResolvedName>> ResolveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var results = new List<ResolvedName>(names.Count);
        foreach (string name in names)
        {
            if (!HostEndPoint.TryParse(name, out HostEndPoint host))
            {
                continue; // options are validated: only a default list could hold one, and it does not
            }

            var endPoints = new List<IPEndPoint>();
            if (IPAddress.TryParse(host.Host, out IPAddress? address))
            {
                endPoints.Add(new IPEndPoint(address, host.Port));
                results.Add(new ResolvedName(name, endPoints, null));
                continue;
            }

            string? problem;
            try
            {
                IPAddress[] resolved = _options.ResolveHost is { } resolve
                    ? await resolve(host.Host, cancellationToken).ConfigureAwait(false)
                    : await Dns.GetHostAddressesAsync(host.Host, cancellationToken).ConfigureAwait(false);
                foreach (IPAddress resolvedAddress in resolved)
                {
                    // Each address goes to the engine of its family (BEP 32); a family the node does not run is left out.
                    IPAddress usable = resolvedAddress.IsIPv4MappedToIPv6 ? resolvedAddress.MapToIPv4() : resolvedAddress;
                    if (EngineOf(usable.AddressFamily) is not null)
                    {
                        endPoints.Add(new IPEndPoint(usable, host.Port));
                    }
                }

                problem = endPoints.Count == 0 ? $"it has no {Families} address" : null;
            }
            catch (SocketException e)
            {
                problem = e.Message;
            }

            results.Add(new ResolvedName(name, endPoints, problem));
            bool report;
            lock (_gate)
            {
                report = problem is not null && (_unresolved ??= []).Add(name);
                if (problem is null)
                {
                    _unresolved?.Remove(name);
                }
            }

            if (report)
            {
                Log.BootstrapNameUnresolved(_context.Logger, name, problem!);
            }
        }

        return results;
    }
}
