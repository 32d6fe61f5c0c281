using System.Diagnostics;
using System.Globalization;

namespace MainlineDht.Simulation;

public sealed partial class SimulatedNetwork
{
    /// <summary>
    /// Adds <paramref name="count"/> nodes and joins them to the network the way a growing DHT fills
    /// up: in waves that double the network each time, every newcomer joining through
    /// <paramref name="bootstrapContacts"/> random nodes of the waves before it
    /// (<see cref="DhtNode.JoinAsync"/>: a lookup of its own id, then a refresh of every bucket),
    /// a bounded number of them at once (<see cref="ConcurrentJoins"/>: at least 250, a sixteenth of
    /// a large wave; each that completes makes room for the next), the first ones spread over a second
    /// of virtual time. Then ten seconds of virtual time let verification pings and late replies settle.
    /// </summary>
    /// <param name="count">How many nodes to add.</param>
    /// <param name="bootstrapContacts">How many earlier nodes each newcomer knows; default 3.</param>
    /// <param name="unresponsive">
    /// The fraction of the new nodes that are unresponsive from the start
    /// (<see cref="SimulatedNode.IsResponsive"/> false: firewalled, they join and look up but never
    /// answer), chosen at random; default 0. No newcomer uses one as a bootstrap contact.
    /// </param>
    /// <param name="progress">Hears one line per join wave; default silent.</param>
    /// <param name="cancellationToken">Stops building between events (the nodes added so far stay).</param>
    /// <returns>What it took: waves, virtual and wall time, bytes per node.</returns>
    /// <exception cref="TimeoutException">A wave did not finish joining within 10 minutes of virtual time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public PopulateReport Populate(int count, int bootstrapContacts = 3, double unresponsive = 0, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(bootstrapContacts, 1);
        if (!(unresponsive is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(unresponsive), unresponsive, "The unresponsive fraction must be from 0 to below 1.");
        }

        var wall = Stopwatch.StartNew();
        TimeSpan startedAt = Elapsed;
        long sentBefore = _counters.DatagramsSent;
        var earlier = new List<SimulatedNode>();
        foreach (SimulatedNode node in _nodes)
        {
            if (node.IsOnline && node.IsResponsive)
            {
                earlier.Add(node);
            }
        }

        // Plan and create every node first (so that the memory of idle nodes can be measured), each
        // with contacts among the waves before its own.
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var waves = new List<List<SimulatedNode>>();
        int created = 0;
        if (earlier.Count == 0 && count > 0)
        {
            // The first node has nobody to join: it is the network.
            earlier.Add(AddNode());
            earlier[0].HasJoined = true;
            created = 1;
        }

        while (created < count)
        {
            int size = Math.Min(earlier.Count, count - created);
            var wave = new List<SimulatedNode>(size);
            for (int i = 0; i < size; i++)
            {
                SimulatedNode node = AddNode(PickContacts(earlier, bootstrapContacts));
                node.IsResponsive = unresponsive == 0 || Random.NextDouble() >= unresponsive;
                wave.Add(node);
            }

            foreach (SimulatedNode node in wave)
            {
                if (node.IsResponsive)
                {
                    earlier.Add(node);
                }
            }

            waves.Add(wave);
            created += size;
        }

        long memoryIdle = GC.GetTotalMemory(forceFullCollection: true);
        int joinedSoFar = created - waves.Sum(w => w.Count);
        for (int i = 0; i < waves.Count; i++)
        {
            JoinWave(waves[i], cancellationToken);
            joinedSoFar += waves[i].Count;
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"join wave {i + 1} of {waves.Count}: {joinedSoFar:N0} nodes, {Elapsed.TotalSeconds:N0} s virtual, {_counters.DatagramsSent - sentBefore:N0} datagrams, {wall.Elapsed.TotalSeconds:N0} s wall"));
        }

        // No second lookup of every node's own id after the waves: with at most a sixteenth of a
        // wave joining at once, same-wave neighbours find each other well enough (10k nodes: lookups
        // p50 619 -> 621 ms, recall 0.713 -> 0.719; 30k: p50 671 -> 683 ms, 21.8 -> 22.1 queries),
        // and it cost 6-7 % of the build's datagrams and 34 s of a 100,000-node build.
        RunFor(TimeSpan.FromSeconds(10)); // verification pings and late replies settle
        long memoryJoined = GC.GetTotalMemory(forceFullCollection: true);
        return new PopulateReport
        {
            Nodes = count,
            Waves = waves.Count,
            VirtualTime = Elapsed - startedAt,
            WallTime = wall.Elapsed,
            DatagramsSent = _counters.DatagramsSent - sentBefore,
            BytesPerIdleNode = count == 0 ? 0 : (memoryIdle - memoryBefore) / count,
            BytesPerJoinedNode = count == 0 ? 0 : (memoryJoined - memoryBefore) / count,
        };
    }

    /// <summary>
    /// The fewest nodes a wave lets join at once; a larger wave lets
    /// <see cref="ConcurrentRounds"/>-th of its nodes. Everything a join holds (its lookups, their
    /// candidates, the queries in flight) lives for seconds of virtual time: with a whole wave of
    /// 50,000 newcomers at once that was gigabytes, promoted to the oldest generation before it died.
    /// </summary>
    internal const int MinConcurrentJoins = 250;

    /// <summary>
    /// A large wave joins in about this many rounds of its concurrent joins (a few seconds of virtual
    /// time each), so that the virtual time a build takes stays well under the 15 minutes after
    /// which nodes would start refreshing buckets and pinging quiet nodes.
    /// </summary>
    internal const int ConcurrentRounds = 16;

    /// <summary>The most joins <see cref="Populate"/> had running at once.</summary>
    internal int MostRunningAtOnce { get; private set; }

    /// <summary>How many nodes of a wave of <paramref name="size"/> join at once.</summary>
    internal static int ConcurrentJoins(int size) => Math.Max(MinConcurrentJoins, size / ConcurrentRounds);

    private List<SimulatedNode> PickContacts(List<SimulatedNode> pool, int count)
    {
        var picked = new List<SimulatedNode>(count);
        for (int attempt = 0; picked.Count < Math.Min(count, pool.Count) && attempt < count * 8; attempt++)
        {
            SimulatedNode candidate = pool[Random.Next(pool.Count)];
            if (!picked.Contains(candidate))
            {
                picked.Add(candidate);
            }
        }

        return picked;
    }

    /// <summary>
    /// Joins every node of <paramref name="wave"/> (<see cref="DhtNode.JoinAsync"/>), at most
    /// <see cref="ConcurrentJoins"/> at a time: the first ones start at random moments within a
    /// second, and each one that completes starts the next after a random pause of up to 0.1 s. Runs
    /// until all completed.
    /// </summary>
    private void JoinWave(List<SimulatedNode> wave, CancellationToken cancellationToken)
    {
        int done = 0;
        int started = 0;
        Exception? failure = null;
        int concurrent = ConcurrentJoins(wave.Count);
        while (started < Math.Min(wave.Count, concurrent))
        {
            _ = RunOneAsync(wave[started++], TimeSpan.FromMilliseconds(Random.Next(1000)));
        }

        bool finished = RunUntil(() => done == wave.Count || cancellationToken.IsCancellationRequested, TimeSpan.FromMinutes(10) + (wave.Count / concurrent * TimeSpan.FromMinutes(1)));
        cancellationToken.ThrowIfCancellationRequested();
        if (!finished)
        {
            throw new TimeoutException($"{wave.Count - done} of {wave.Count} nodes did not finish within 10 minutes of virtual time.");
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("A node failed while joining.", failure);
        }

        async Task RunOneAsync(SimulatedNode node, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, _clock).ConfigureAwait(false);
                MostRunningAtOnce = Math.Max(MostRunningAtOnce, started - done);
                await node.Node.JoinAsync().ConfigureAwait(false);
                node.HasJoined = true;
            }
            catch (Exception e)
            {
                failure ??= e;
            }
            finally
            {
                done++;
                if (started < wave.Count)
                {
                    // At least a millisecond: the next one starts from the clock's loop, not inside this one's completion.
                    _ = RunOneAsync(wave[started++], TimeSpan.FromMilliseconds(1 + Random.Next(100)));
                }
            }
        }
    }
}

/// <summary>What <see cref="SimulatedNetwork.Populate"/> did.</summary>
public sealed record PopulateReport
{
    /// <summary>Nodes added.</summary>
    public int Nodes { get; init; }

    /// <summary>Join waves (each about doubles the network).</summary>
    public int Waves { get; init; }

    /// <summary>Virtual time the joins took.</summary>
    public TimeSpan VirtualTime { get; init; }

    /// <summary>Wall-clock time the joins took.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>Datagrams sent while joining.</summary>
    public long DatagramsSent { get; init; }

    /// <summary>Managed memory per node right after creation, before joining (GC heap growth divided by nodes).</summary>
    public long BytesPerIdleNode { get; init; }

    /// <summary>Managed memory per node once the network is joined: routing tables and all.</summary>
    public long BytesPerJoinedNode { get; init; }
}
