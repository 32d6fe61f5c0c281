using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using MainlineDht.Lookups;
using MainlineDht.Rpc;

namespace MainlineDht;

// The bootstrap's diagnostics: what became of each name, the routers that answered (kept in the
// state file and tried first next time), and the report of the last bootstrap.
public sealed partial class DhtNode
{
    /// <summary>The bootstrap names that answered the last bootstrap that tried any (from the state file at first).</summary>
    private List<string> _answeredRouters = [];

    /// <summary>The last report, kept without its <see cref="BootstrapReport.Nodes"/>: they are <see cref="_lastNames"/>.</summary>
    private BootstrapReport? _lastBootstrapReport;

    /// <summary>The names of the last report, compact (a node keeps them as long as it runs): ~170 bytes less than the records.</summary>
    private KeptName[] _lastNames = [];

    /// <summary>What the names of <see cref="_lastNames"/> resolved to, one after the other (often the node's bootstrap endpoints themselves).</summary>
    private IPEndPoint[] _lastAddresses = [];

    /// <summary>
    /// What the last bootstrap did (<see cref="JoinAsync"/>, or one the node ran by itself while it
    /// had no live node): each bootstrap name, what it resolved to, whether it answered, its round
    /// trip and what went wrong; the saved nodes tried; when the node tries again. Null before the first.
    /// Its <see cref="BootstrapReport.Lookup"/> keeps the counts and times but not the lookup's node
    /// lists (<see cref="LookupReport.ClosestNodes"/>, <see cref="LookupReport.AnnouncedTo"/>,
    /// <see cref="LookupReport.Trace"/>): the nodes it found are in the routing table, and
    /// <see cref="JoinAsync"/> returns them.
    /// </summary>
    public BootstrapReport? LastBootstrapReport
    {
        get
        {
            lock (_gate)
            {
                if (_lastBootstrapReport is not { } kept || _lastNames.Length == 0)
                {
                    return _lastBootstrapReport;
                }

                var nodes = new BootstrapNodeReport[_lastNames.Length];
                for (int i = 0; i < nodes.Length; i++)
                {
                    KeptName name = _lastNames[i];
                    IPEndPoint[] addresses = _lastAddresses.AsSpan(name.AddressStart, name.AddressCount).ToArray();
                    nodes[i] = new BootstrapNodeReport(name.Name, addresses, name.Answered, name.RoundTripTicks < 0 ? null : TimeSpan.FromTicks(name.RoundTripTicks), name.Error);
                }

                return kept with { Nodes = nodes };
            }
        }
    }

    /// <summary>One <see cref="BootstrapNodeReport"/> as the node keeps it: its addresses are a range of <see cref="_lastAddresses"/>.</summary>
    private readonly record struct KeptName(string Name, string? Error, long RoundTripTicks, ushort AddressStart, ushort AddressCount, bool Answered);

    /// <summary>A bootstrap name as resolved: its addresses in the families the node runs, or why it has none.</summary>
    private readonly record struct ResolvedName(string Name, List<IPEndPoint> Addresses, string? Problem);

    /// <summary>
    /// The names of a bootstrap's first step: the given ones, those that answered last time first;
    /// then the public routers that answered last time (when the node may use them): a router known to
    /// work is not kept waiting behind saved nodes that may all be gone.
    /// </summary>
    private List<string> FirstBootstrapNames()
    {
        List<string> answered;
        lock (_gate)
        {
            answered = _answeredRouters;
        }

        var names = _options.BootstrapNodes.OrderBy(n => answered.Contains(n) ? 0 : 1).ToList();
        if (_options.UsePublicRouters)
        {
            names.AddRange(answered.Where(r => DhtNodeOptions.DefaultBootstrapNodes.Contains(r) && !names.Contains(r)));
        }

        return names;
    }

    /// <summary>One line per name: what it resolved to and what became of the queries to its addresses.</summary>
    private List<BootstrapNodeReport> Summarize(List<ResolvedName> resolved, IReadOnlyList<StartingOutcome> outcomes)
    {
        var reports = new List<BootstrapNodeReport>(resolved.Count);
        foreach (ResolvedName name in resolved)
        {
            var mine = outcomes.Where(o => name.Addresses.Contains(o.EndPoint)).ToList();
            var answers = mine.Where(o => o.Status == RpcStatus.Response).ToList();
            string? error = answers.Count > 0 ? null
                : name.Problem is string problem ? $"did not resolve: {problem}"
                : mine.FirstOrDefault(o => o.Status == RpcStatus.Error) is { ErrorCode: int code } ? string.Create(CultureInfo.InvariantCulture, $"answered with KRPC error {code}")
                : mine.Any(o => o.Status == RpcStatus.Timeout && o.Waited is null) ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.QueryTimeout.TotalSeconds:0.#} s")
                : mine.FirstOrDefault(o => o.Waited is not null) is { Waited: TimeSpan waited } ? string.Create(CultureInfo.InvariantCulture, $"no answer in the {waited.TotalSeconds:0.#} s the bootstrap waited for it")
                : mine.Any(o => o.Status == RpcStatus.NotSent) ? "not sent (the send policy refused it, or the socket could not send)"
                : mine.Any(o => o.Status == RpcStatus.Cancelled) ? "cancelled"
                : "not queried";
            reports.Add(new BootstrapNodeReport(name.Name, name.Addresses, answers.Count > 0, answers.Count > 0 ? answers.Min(a => a.RoundTrip) : null, error));
        }

        return reports;
    }

    /// <summary>When nothing answered: the delay before the node's next bootstrap of its own; null when it joined or will not try again.</summary>
    private TimeSpan? RetryDelay(bool joined)
    {
        lock (_gate)
        {
            return joined || !_joinRequested || !CanBootstrap || _context.Disposed ? null : _rebootstrapDelay;
        }
    }

    /// <summary>Keeps the names that answered this bootstrap (for the state file), when it tried any.</summary>
    private void RememberAnsweredRouters(List<BootstrapNodeReport> names)
    {
        if (names.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            _answeredRouters = [.. names.Where(n => n.Answered).Select(n => n.Name).Take(DhtNodeState.MaxRouters)];
        }
    }

    /// <summary>
    /// Keeps <paramref name="report"/> as the last one, without its lookup's node lists (a node keeps
    /// its report as long as it runs, and those endpoints were ~0.9 KB of every simulated node), its
    /// names compact.
    /// </summary>
    private void Publish(BootstrapReport report)
    {
        IReadOnlyList<BootstrapNodeReport> nodes = report.Nodes;
        var names = new KeptName[nodes.Count];
        var addresses = new List<IPEndPoint>();
        for (int i = 0; i < names.Length; i++)
        {
            BootstrapNodeReport node = nodes[i];
            names[i] = new KeptName(node.Name, node.Error, node.RoundTrip?.Ticks ?? -1, (ushort)addresses.Count, (ushort)node.Addresses.Count, node.Answered);
            addresses.AddRange(node.Addresses);
        }

        report = report with { Nodes = [], Lookup = report.Lookup with { ClosestNodes = [], AnnouncedTo = [], Trace = [] } };
        lock (_gate)
        {
            // Usually the very endpoints the node bootstraps from: then one array serves both.
            _lastAddresses = _bootstrapEndPoints is IPEndPoint[] same && same.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(addresses)) ? same : [.. addresses];
            _lastNames = names;
            _lastBootstrapReport = report;
        }
    }
}
