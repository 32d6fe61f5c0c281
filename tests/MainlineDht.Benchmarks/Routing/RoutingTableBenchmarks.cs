using System.Net;
using BenchmarkDotNet.Attributes;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Benchmarks.Routing;

/// <summary>
/// The routing table's hot calls: FindClosest (every find_node / get_peers answer and every lookup
/// start) and OnReply for a node already in the table (every answer we receive).
/// </summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly RoutingNode[] _destination = new RoutingNode[8];
    private RoutingTable _table = null!;
    private NodeId[] _targets = null!;
    private NodeId[] _nearTargets = null!;
    private NodeEntry[] _live = null!;
    private int _next;

    /// <summary>How deep the table grows: ids share up to this many leading bits with ours.</summary>
    [Params(24, 160)]
    public int Depth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        NodeId local = NodeId.CreateRandom(random);
        _table = new RoutingTable(local);
        for (int i = 0; i < Depth * 40; i++)
        {
            int cpl = random.Next(0, Depth);
            NodeId bit = NodeId.PrefixMask(Math.Min(cpl + 1, 160)) ^ NodeId.PrefixMask(cpl);
            NodeId id = NodeId.CreateRandomInRange(local ^ bit, Math.Min(cpl + 1, 160), random);
            var ep = new IPEndPoint(new IPAddress([127, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 6881);
            _table.OnReply(id, ep, TimeSpan.FromMilliseconds(random.Next(20, 300)), Now - TimeSpan.FromSeconds(random.Next(0, 1800)));
        }

        _targets = new NodeId[1024];
        for (int i = 0; i < _targets.Length; i++)
        {
            _targets[i] = NodeId.CreateRandom(random);
        }

        // Targets that share 0..Depth bits with our id: the walk crosses many buckets.
        _nearTargets = new NodeId[1024];
        for (int i = 0; i < _nearTargets.Length; i++)
        {
            _nearTargets[i] = NodeId.CreateRandomInRange(local, random.Next(0, Depth + 1), random);
        }

        _live = _table.FindClosest(local, _table.Count, includeQuestionable: true, Now);
        Console.WriteLine($"// table: {_table.Count} nodes in {_table.BucketCount} buckets");
    }

    [Benchmark]
    public int FindClosest8()
    {
        NodeId target = _targets[_next++ & 1023];
        return _table.FindClosest(target, _destination, includeQuestionable: true, Now);
    }

    [Benchmark]
    public int FindClosest8NearOwnId()
    {
        NodeId target = _nearTargets[_next++ & 1023];
        return _table.FindClosest(target, _destination, includeQuestionable: true, Now);
    }

    [Benchmark]
    public int FindClosest8GoodOnly()
    {
        NodeId target = _targets[_next++ & 1023];
        return _table.FindClosest(target, _destination, includeQuestionable: false, Now);
    }

    [Benchmark]
    public int OnReplyExisting()
    {
        NodeEntry entry = _live[_next++ % _live.Length];
        return (int)_table.OnReply(entry.Id, entry.EndPoint, TimeSpan.FromMilliseconds(80), Now).Result;
    }
}
