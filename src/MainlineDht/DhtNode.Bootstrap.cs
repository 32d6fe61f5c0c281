using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht;

// Joining: the bootstrap order (the given nodes, then the saved nodes, then the public routers)
// and the resolution of their names. Staying joined is in DhtNode.Rejoin.cs.
public sealed partial class DhtNode
{
    /// <summary>Ends the bootstraps the node runs by itself when it stops.</summary>
    private readonly CancellationTokenSource _lifetime = new();

    /// <summary>Bootstrap names whose failure to resolve was reported: each once, until it resolves again.</summary>
    private readonly HashSet<string> _unresolved = [];

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

    /// <summary>The families the node runs, as a warning names them.</summary>
    private string Families => string.Join(" or ", _engines.Select(e => e.Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6"));

    /// <summary>
    /// Resolves <c>host:port</c> names to endpoints of the families the node runs. A name that cannot be resolved is skipped
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
                    : await Dns.GetHostAddressesAsync(host.Host, cancellationToken).ConfigureAwait(false);
                int before = endPoints.Count;
                foreach (IPAddress resolvedAddress in resolved)
                {
                    // Each address goes to the engine of its family (BEP 32); a family the node does not run is left out.
                    IPAddress usable = resolvedAddress.IsIPv4MappedToIPv6 ? resolvedAddress.MapToIPv4() : resolvedAddress;
                    if (EngineOf(usable.AddressFamily) is not null)
                    {
                        endPoints.Add(new IPEndPoint(usable, host.Port));
                    }
                }

                problem = endPoints.Count == before ? $"it has no {Families} address" : null;
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
