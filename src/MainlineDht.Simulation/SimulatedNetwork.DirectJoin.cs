using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Simulation;

public sealed partial class SimulatedNetwork
{
    /// <summary>
    /// Adds <paramref name="count"/> nodes and fills their routing tables straight from the known
    /// population instead of joining them by lookups (<see cref="Populate"/>): for every bucket a node
    /// would have, up to K nodes picked at random among the responsive nodes of that bucket's range
    /// enter the table as if each had answered a ping (the table's own rules apply: <c>OnReply</c>
    /// with the pair's round trip), the closest nodes all of them. No datagram is sent; replacement
    /// caches start empty and fill as the run goes on. This is what makes networks of 100,000 nodes and
    /// more affordable; the lookups measured afterwards run on the simulated network as always.
    /// </summary>
    /// <param name="count">How many nodes to add.</param>
    /// <param name="unresponsive">The fraction of the new nodes that are unresponsive (never in anyone's table, as they never answer).</param>
    /// <param name="progress">Hears a line every 10% of the nodes; default silent.</param>
    /// <param name="cancellationToken">Stops between nodes.</param>
    /// <returns>What it took (one wave, no datagrams), with the bytes per node.</returns>
    public PopulateReport PopulateDirect(int count, double unresponsive = 0, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(unresponsive is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(unresponsive), unresponsive, "The unresponsive fraction must be from 0 to below 1.");
        }

        var wall = Stopwatch.StartNew();
        TimeSpan startedAt = Elapsed;
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var added = new List<SimulatedNode>(count);
        for (int i = 0; i < count; i++)
        {
            SimulatedNode node = AddNode();
            node.IsResponsive = unresponsive == 0 || Random.NextDouble() >= unresponsive;
            added.Add(node);
        }

        long memoryIdle = GC.GetTotalMemory(forceFullCollection: true);

        // Every responsive online node, sorted by id: a bucket's range is then one run of the array.
        var known = _nodes.Where(static n => n.IsOnline && n.IsResponsive).ToArray();
        NodeId[] ids = [.. known.Select(static n => n.Node.Id)];
        Array.Sort(ids, known);
        DateTimeOffset now = _clock.GetUtcNow();
        var picked = new List<int>(8);
        for (int i = 0; i < added.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SimulatedNode node = added[i];
            node.Node.UpdateRouting(AddressFamily.InterNetwork, table => Fill(table, node, known, ids, picked, now));
            node.HasJoined = true;
            if (progress is not null && added.Count >= 10 && (i + 1) % (added.Count / 10) == 0)
            {
                progress(string.Create(CultureInfo.InvariantCulture, $"direct join: {i + 1:N0} of {added.Count:N0} nodes, {wall.Elapsed.TotalSeconds:N0} s wall"));
            }
        }

        RunFor(TimeSpan.FromSeconds(10)); // timers started by the new nodes settle
        long memoryJoined = GC.GetTotalMemory(forceFullCollection: true);
        return new PopulateReport
        {
            Nodes = count,
            Waves = 1,
            VirtualTime = Elapsed - startedAt,
            WallTime = wall.Elapsed,
            DatagramsSent = 0,
            BytesPerIdleNode = count == 0 ? 0 : (memoryIdle - memoryBefore) / count,
            BytesPerJoinedNode = count == 0 ? 0 : (memoryJoined - memoryBefore) / count,
        };
    }

    /// <summary>For each depth d, up to K nodes sharing exactly d leading bits with the node; stops below the deepest nonempty range.</summary>
    private void Fill(RoutingTable table, SimulatedNode node, SimulatedNode[] known, NodeId[] ids, List<int> picked, DateTimeOffset now)
    {
        NodeId self = node.Node.Id;
        int k = table.Options.BucketSize;
        for (int depth = 0; depth < NodeId.Bits; depth++)
        {
            NodeId mask = NodeId.PrefixMask(depth + 1);
            NodeId bit = mask ^ NodeId.PrefixMask(depth);
            (int from, int to) = Range(ids, And(self, mask) ^ bit, mask);
            int size = to - from;
            picked.Clear();
            if (size <= k)
            {
                for (int j = from; j < to; j++)
                {
                    picked.Add(j);
                }
            }
            else
            {
                while (picked.Count < k)
                {
                    int j = from + Random.Next(size);
                    if (!picked.Contains(j))
                    {
                        picked.Add(j);
                    }
                }
            }

            foreach (int j in picked)
            {
                SimulatedNode other = known[j];
                TimeSpan rtt = _options.Latency.GetDelay(node.Index, other.Index, _options.Seed, _random)
                    + _options.Latency.GetDelay(other.Index, node.Index, _options.Seed, _random);
                table.OnReply(other.Node.Id, other.EndPoint, rtt, now);
            }

            // Nobody else shares more than this prefix with the node: deeper buckets would be empty.
            (int nearFrom, int nearTo) = Range(ids, And(self, mask), mask);
            int nearer = nearTo - nearFrom - (Array.BinarySearch(ids, nearFrom, nearTo - nearFrom, self) >= 0 ? 1 : 0);
            if (nearer == 0)
            {
                break;
            }
        }
    }

    private static NodeId And(NodeId a, NodeId b) => new(a.Hi & b.Hi, a.Mid & b.Mid, a.Lo & b.Lo);

    /// <summary>The run of <paramref name="ids"/> (sorted) whose first bits under <paramref name="mask"/> equal <paramref name="prefix"/>'s.</summary>
    private static (int From, int To) Range(NodeId[] ids, NodeId prefix, NodeId mask)
    {
        NodeId low = prefix;
        NodeId high = prefix ^ (mask ^ NodeId.MaxValue);
        return (LowerBound(ids, low), LowerBound(ids, high, inclusive: true));
    }

    /// <summary>The first index whose id is at least (or, when <paramref name="inclusive"/>, above) <paramref name="value"/>.</summary>
    private static int LowerBound(NodeId[] ids, NodeId value, bool inclusive = false)
    {
        int lo = 0;
        int hi = ids.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = ids[mid].CompareTo(value);
            if (c < 0 || (inclusive && c == 0))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
