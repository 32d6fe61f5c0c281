using System.Diagnostics;
using System.Globalization;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation;

/// <summary>
/// The lookup benchmark (<c>mainline-dht simulate</c>): builds a <see cref="SimulatedNetwork"/>,
/// silences a fraction of its nodes, announces infohashes from random nodes, optionally takes a
/// fraction of the nodes away at once (the announcers then announce again), and measures
/// <c>get_peers</c> lookups from random nodes; optionally among adversaries (Sybils, poisoners:
/// <c>SimulationRunner.Adversaries.cs</c>).
/// </summary>
public static partial class SimulationRunner
{
    /// <summary>Lookups start this far apart in virtual time (a few dozen run at once).</summary>
    private static readonly TimeSpan LookupSpacing = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan PhaseLimit = TimeSpan.FromMinutes(30);

    /// <summary>Runs the benchmark on the calling thread and returns its figures.</summary>
    /// <param name="options">The settings; default <see cref="SimulationRunnerOptions"/>.</param>
    /// <param name="progress">Hears one line per phase; default silent.</param>
    /// <param name="cancellationToken">Stops the run (between events) with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static SimulationReport Run(SimulationRunnerOptions? options = null, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new SimulationRunnerOptions();
        options.Validate();
        var wall = Stopwatch.StartNew();
        TimeSpan pausedBefore = GC.GetTotalPauseDuration();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var network = new SimulatedNetwork(new SimulatedNetworkOptions
        {
            Seed = options.Seed,
            Latency = LatencyModel.UniformPerLink(options.LatencyMin / 2, options.LatencyMax / 2), // round trip: there and back
            LossRate = options.Loss,
            ConfigureNode = options.ConfigureNode,
            PublicAddresses = options.UsesPublicAddresses,
        });
        Random random = network.Random;
        Say(progress, wall, $"building a network of {options.Nodes:N0} nodes");
        (int sybilCount, int poisonCount) = options.AdversaryCounts;
        Action<string>? joinProgress = progress is null ? null : line => Say(progress, wall, line);
        PopulateReport populate = options.DirectJoin
            ? network.PopulateDirect(options.Nodes - sybilCount - poisonCount, unresponsive: options.Dead, progress: joinProgress, cancellationToken: cancellationToken)
            : network.Populate(options.Nodes - sybilCount - poisonCount, unresponsive: options.Dead, progress: joinProgress, cancellationToken: cancellationToken);
        Say(progress, wall, string.Create(CultureInfo.InvariantCulture, $"built in {populate.Waves} waves: {populate.VirtualTime.TotalSeconds:N0} s virtual, {populate.DatagramsSent:N0} datagrams, {populate.BytesPerIdleNode:N0} B per idle node, {populate.BytesPerJoinedNode:N0} B per joined node"));
        cancellationToken.ThrowIfCancellationRequested();

        int deadCount = network.Nodes.Count(n => !n.IsResponsive);

        // Announces from random answering nodes, one port per infohash.
        int infoHashCount = options.InfoHashCount;
        var swarms = new Swarm[infoHashCount];
        for (int i = 0; i < infoHashCount; i++)
        {
            swarms[i] = new Swarm(NodeId.CreateRandom(random), 10_000 + i, PickAnswering(network, random));
        }

        Adversaries adversaries = sybilCount + poisonCount == 0
            ? Adversaries.None
            : AddAdversaries(network, swarms, sybilCount, poisonCount, random, line => Say(progress, wall, line), cancellationToken);

        Say(progress, wall, $"announcing {infoHashCount} infohashes");
        (List<double> announcedTo, List<double> announcedToHonest) = Announce(network, swarms, adversaries, cancellationToken);

        int leftCount = 0;
        if (options.Churn > 0)
        {
            network.RunFor(TimeSpan.FromMinutes(1));
            List<SimulatedNode> online = Shuffle(network.Nodes, random);
            leftCount = (int)Math.Round(options.Churn * options.Nodes);
            network.Remove(online.Take(leftCount));
            foreach (Swarm swarm in swarms)
            {
                if (!swarm.Announcer.IsOnline)
                {
                    // The departed announcer's swarm goes on: a remaining node is its peer now.
                    swarm.Announcer = PickAnswering(network, random, adversaries);
                }
            }

            Say(progress, wall, $"{leftCount:N0} nodes left at once; announcing again");
            (announcedTo, announcedToHonest) = Announce(network, swarms, adversaries, cancellationToken);
        }

        Say(progress, wall, $"running {options.Lookups:N0} lookups");
        LookupOutcome[] outcomes = Lookup(network, swarms, options.Lookups, random, adversaries, options.Lookup ?? new LookupOptions(), cancellationToken);

        var routingSizes = new List<double>();
        long junkIgnored = 0;
        foreach (SimulatedNode node in network.Nodes)
        {
            if (node.IsOnline && node.IsResponsive && !adversaries.Contains(node))
            {
                DhtNodeStatistics stats = node.Node.GetStatistics();
                routingSizes.Add(stats.RoutingTableSize);
                // Junk only: a reply naming the querier itself is what real clients do, not an attack.
                junkIgnored += stats.NodesIgnored - stats.NodesIgnoredByReason.GetValueOrDefault("own_id");
            }
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var report = new SimulationReport
        {
            Options = options,
            InfoHashes = infoHashCount,
            LookupsRun = outcomes.Length,
            LookupsSucceeded = outcomes.Count(o => o.Found),
            LookupMilliseconds = Distribution.Of(outcomes.Select(o => o.Report.Elapsed.TotalMilliseconds)),
            FirstPeerMilliseconds = Distribution.Of(outcomes.Where(o => o.Report.FirstPeerAfter is not null).Select(o => o.Report.FirstPeerAfter!.Value.TotalMilliseconds)),
            ClosestMilliseconds = Distribution.Of(outcomes.Where(o => o.Report.ClosestAnsweredAfter is not null).Select(o => o.Report.ClosestAnsweredAfter!.Value.TotalMilliseconds)),
            MessagesPerLookup = outcomes.Average(o => o.Report.NodesQueried),
            RepliesPerLookup = outcomes.Average(o => o.Report.Replies),
            TimeoutsPerLookup = outcomes.Average(o => o.Report.Timeouts),
            RoundTrips = Distribution.Of(outcomes.Select(o => (double)o.Report.RoundTrips)),
            Lookups = [.. outcomes.Select(o => new SimulatedLookup(o.Report.Elapsed, o.Report.RoundTrips, o.Report.NodesQueried, o.Found) { FirstPeer = o.Report.FirstPeerAfter })],
            ClosestNodesRecall = outcomes.Average(o => o.Recall),
            AnnouncedTo = Distribution.Of(announcedTo),
            AnnouncedToHonest = Distribution.Of(announcedToHonest),
            SybilNodes = sybilCount,
            PoisonNodes = poisonCount,
            SybilShareOfClosest = outcomes.Average(o => o.SybilShare),
            JunkNodesIgnored = junkIgnored,
            RoutingTableSizes = Distribution.Of(routingSizes),
            DeadNodes = deadCount,
            NodesLeft = leftCount,
            Bootstrap = populate,
            Network = network.Statistics,
            VirtualTime = network.Elapsed,
            WallTime = wall.Elapsed,
            PeakMemoryMegabytes = process.PeakWorkingSet64 / (1024.0 * 1024.0),
            GcPause = GC.GetTotalPauseDuration() - pausedBefore,
            GcCollections = [.. collectionsBefore.Select((before, generation) => GC.CollectionCount(generation) - before)],
        };
        Say(progress, wall, "done");
        return report;
    }

    private static (List<double> All, List<double> Honest) Announce(SimulatedNetwork network, Swarm[] swarms, Adversaries adversaries, CancellationToken cancellationToken)
    {
        var announced = new List<double>(swarms.Length);
        var honest = new List<double>(swarms.Length);
        int done = 0;
        var tasks = new Task[swarms.Length];
        for (int i = 0; i < swarms.Length; i++)
        {
            tasks[i] = AnnounceOneAsync(swarms[i], LookupSpacing * i);
        }

        RunPhase(network, () => done == swarms.Length, "announces", cancellationToken);
        Task.WhenAll(tasks).GetAwaiter().GetResult(); // a failed announce fails the run
        return (announced, honest);

        async Task AnnounceOneAsync(Swarm swarm, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, network.TimeProvider).ConfigureAwait(false);
                LookupReport report = await swarm.Announcer.Node.AnnounceAsync(swarm.InfoHash, swarm.Port).ConfigureAwait(false);
                announced.Add(report.AnnouncedTo.Count);
                honest.Add(report.AnnouncedTo.Count(n => !adversaries.Holds(n.EndPoint)));
            }
            finally
            {
                done++;
            }
        }
    }

    private static LookupOutcome[] Lookup(SimulatedNetwork network, Swarm[] swarms, int count, Random random, Adversaries adversaries, LookupOptions lookup, CancellationToken cancellationToken)
    {
        // The truth to compare with: the honest nodes closest to each infohash among those that answer.
        var answering = network.Nodes.Where(n => n.IsOnline && n.IsResponsive && !adversaries.Contains(n)).ToList();
        NodeId[][] closest = swarms.Select(s => Closest(answering, s.InfoHash, Traversal.K + 1)).ToArray();

        var outcomes = new LookupOutcome[count];
        int done = 0;
        var tasks = new Task[count];
        for (int i = 0; i < count; i++)
        {
            tasks[i] = LookupOneAsync(i, swarms[i % swarms.Length], closest[i % swarms.Length], answering[random.Next(answering.Count)], LookupSpacing * i);
        }

        RunPhase(network, () => done == count, "lookups", cancellationToken);
        Task.WhenAll(tasks).GetAwaiter().GetResult(); // a failed lookup fails the run
        return outcomes;

        async Task LookupOneAsync(int index, Swarm swarm, NodeId[] truth, SimulatedNode from, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, network.TimeProvider).ConfigureAwait(false);
                PeerLookupResult result = await from.Node.LookupPeersAsync(swarm.InfoHash, lookup).ConfigureAwait(false);
                var expected = new IPEndPoint(swarm.Announcer.EndPoint.Address, swarm.Port);
                NodeId[] wanted = truth.Where(id => id != from.Node.Id).Take(Traversal.K).ToArray();
                int recalled = result.Report.ClosestNodes.Count(n => Array.IndexOf(wanted, n.Id) >= 0);
                int sybils = result.Report.ClosestNodes.Count(n => adversaries.IsSybil(n.EndPoint));
                double sybilShare = result.Report.ClosestNodes.Count == 0 ? 0 : (double)sybils / result.Report.ClosestNodes.Count;
                outcomes[index] = new LookupOutcome(result.Peers.Contains(expected), result.Report, wanted.Length == 0 ? 1 : (double)recalled / wanted.Length, sybilShare);
            }
            finally
            {
                done++;
            }
        }
    }

    private static void RunPhase(SimulatedNetwork network, Func<bool> finished, string what, CancellationToken cancellationToken)
    {
        if (!network.RunUntil(() => finished() || cancellationToken.IsCancellationRequested, PhaseLimit))
        {
            throw new TimeoutException($"The {what} did not finish within {PhaseLimit.TotalMinutes} minutes of virtual time.");
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The <paramref name="count"/> ids of <paramref name="nodes"/> closest to <paramref name="target"/>, nearest first.</summary>
    private static NodeId[] Closest(List<SimulatedNode> nodes, NodeId target, int count)
    {
        var best = new List<NodeId>(count + 1);
        foreach (SimulatedNode node in nodes)
        {
            NodeId id = node.Node.Id;
            if (best.Count == count && target.CompareDistance(id, best[^1]) >= 0)
            {
                continue;
            }

            int at = best.Count;
            while (at > 0 && target.CompareDistance(id, best[at - 1]) < 0)
            {
                at--;
            }

            best.Insert(at, id);
            if (best.Count > count)
            {
                best.RemoveAt(count);
            }
        }

        return [.. best];
    }

    /// <summary>A random node that is online and answers.</summary>
    /// <exception cref="InvalidOperationException">No such node is left (a tiny network after churn).</exception>
    private static SimulatedNode PickAnswering(SimulatedNetwork network, Random random, Adversaries? adversaries = null)
    {
        adversaries ??= Adversaries.None;
        if (!network.Nodes.Any(n => n.IsOnline && n.IsResponsive && !adversaries.Contains(n)))
        {
            throw new InvalidOperationException("No answering node is left in the network to announce or look up from (too few nodes for --dead and --churn).");
        }

        // Drawn until one answers (not from a filtered list): the same draws as before, so a seed's figures stay.
        while (true)
        {
            SimulatedNode node = network.Nodes[random.Next(network.Nodes.Count)];
            if (node.IsOnline && node.IsResponsive && !adversaries.Contains(node))
            {
                return node;
            }
        }
    }

    private static List<SimulatedNode> Shuffle(IReadOnlyList<SimulatedNode> nodes, Random random)
    {
        var list = nodes.Where(n => n.IsOnline).ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }

    private static void Say(Action<string>? progress, Stopwatch wall, string message) =>
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"[{wall.Elapsed.TotalSeconds,7:0.0} s] {message}"));

    private sealed class Swarm(NodeId infoHash, int port, SimulatedNode announcer)
    {
        public NodeId InfoHash { get; } = infoHash;

        public int Port { get; } = port;

        public SimulatedNode Announcer { get; set; } = announcer;
    }

    private readonly record struct LookupOutcome(bool Found, LookupReport Report, double Recall, double SybilShare);
}
