using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Simulation;

namespace MainlineDht.Benchmarks.Memory;

/// <summary>
/// <c>-- routing-memory [--tables N] [--nodes N]</c>: the managed memory of routing state. Part one fills
/// N routing tables (default 2,000) the way a node in a large network has them: far buckets full of live
/// nodes and their replacement caches full, and reports the bytes per entry (live or waiting), GC heap
/// growth divided by entries. Part two builds a simulated network of --nodes nodes (default 10,000; 0
/// skips it) and reports the bytes per joined node. Nothing touches a network.
/// </summary>
internal static class RoutingMemoryBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int tables = Option(args, "--tables", 2_000);
        int nodes = Option(args, "--nodes", 10_000);
        var c = CultureInfo.InvariantCulture;

        Console.WriteLine(string.Create(c, $"routing entry: {Unsafe.SizeOf<RoutingNode>()} B stored inline per entry (live or waiting)"));
        (long bytes, long entries, long live) = FillTables(tables);
        Console.WriteLine(string.Create(c, $"routing tables: {tables:N0} tables, {entries:N0} entries ({live:N0} live, {entries - live:N0} waiting): {(double)bytes / entries:N1} B per entry, {bytes / tables:N0} B per table"));

        if (nodes > 0)
        {
            var network = new SimulatedNetwork(new SimulatedNetworkOptions
            {
                Seed = 1,
                Latency = LatencyModel.UniformPerLink(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300)),
            });
            await using ConfiguredAsyncDisposable disposal = network.ConfigureAwait(false);
            PopulateReport report = network.Populate(nodes);
            long routing = network.Nodes.Sum(n => (long)n.Node.GetStatistics().RoutingTableSize);
            Console.WriteLine(string.Create(c, $"simulated network: {nodes:N0} nodes joined in {report.WallTime.TotalSeconds:N0} s wall: {report.BytesPerIdleNode:N0} B per idle node, {report.BytesPerJoinedNode:N0} B per joined node ({report.BytesPerJoinedNode / 1024.0:N1} KiB), {(double)routing / nodes:N1} live routing entries per node"));
        }

        return 0;
    }

    /// <summary>Fills tables with 120 live nodes and up to 8 waiting per bucket; returns heap growth and entry counts.</summary>
    private static (long Bytes, long Entries, long Live) FillTables(int count)
    {
        var random = new Random(1);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var filled = new RoutingTable[count];
        long before = GC.GetTotalMemory(forceFullCollection: true);
        int address = 0;
        for (int t = 0; t < count; t++)
        {
            var table = new RoutingTable(NodeId.CreateRandom(random), AddressFamily.InterNetwork);
            for (int i = 0; i < 400; i++)
            {
                // Ids near ours as often as far ones: 15 buckets of a 100,000-node network.
                NodeId id = NodeId.CreateRandomInRange(table.LocalId, random.Next(0, 15), random);
                var endPoint = new IPEndPoint(new IPAddress([10, (byte)(address >> 16), (byte)(address >> 8), (byte)address]), 6881);
                address++;
                if (i % 2 == 0)
                {
                    table.OnReply(id, endPoint, TimeSpan.FromMilliseconds(100), now);
                }
                else
                {
                    table.OnHeard(id, endPoint, now);
                }
            }

            filled[t] = table;
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        long entries = filled.Sum(t => (long)t.Count + t.ReplacementCount);
        long live = filled.Sum(t => (long)t.Count);
        GC.KeepAlive(filled);
        return (after - before, entries, live);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
