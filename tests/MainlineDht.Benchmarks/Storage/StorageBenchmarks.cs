using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Benchmarks.Storage;

/// <summary>The storage work on the get_peers / announce_peer hot path.</summary>
[MemoryDiagnoser]
public class StorageBenchmarks
{
    private const int PeersPerInfoHash = 500;

    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly IPAddress _requester = IPAddress.Parse("203.0.113.5");
    private readonly byte[] _token = new byte[WriteTokenManager.TokenLength];
    private readonly byte[] _values = new byte[50 * PeerStore.CompactIPv4Size];
    private readonly ScrapeBloomFilter _seeds = new();
    private readonly ScrapeBloomFilter _peers = new();
    private WriteTokenManager _tokens = null!;
    private PeerStore _store = null!;
    private NodeId _infoHash;
    private IPEndPoint[] _endPoints = null!;
    private int _next;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _tokens = new WriteTokenManager(T0, random.NextBytes, WriteTokenManager.DefaultRotationInterval);
        _tokens.WriteToken(_requester, _token, T0);
        _store = new PeerStore(new PeerStoreOptions(), new Random(2));
        _infoHash = NodeId.CreateRandom(random);
        _endPoints = Enumerable.Range(0, PeersPerInfoHash)
            .Select(i => new IPEndPoint(new IPAddress([10, 0, (byte)(i >> 8), (byte)i]), 6881))
            .ToArray();
        foreach (IPEndPoint endPoint in _endPoints)
        {
            _store.Announce(_infoHash, endPoint, seed: (endPoint.Address.GetAddressBytes()[3] & 1) == 0, T0);
        }

        _now = T0;
    }

    [Benchmark]
    public int WriteToken() => _tokens.WriteToken(_requester, _token, T0);

    [Benchmark]
    public bool Validate() => _tokens.Validate(_requester, _token, T0);

    /// <summary>A get_peers reply's worth: 50 uniformly sampled IPv4 peers of a 500-peer infohash.</summary>
    [Benchmark]
    public int GetPeers50Of500() => _store.GetPeers(_infoHash, 50, AddressFamily.InterNetwork, T0, _values);

    /// <summary>announce_peer in steady state: a stored peer re-announces (the common case).</summary>
    [Benchmark]
    public int Announce()
    {
        int i = _next++ % PeersPerInfoHash;
        _now = _now.AddTicks(1);
        return (int)_store.Announce(_infoHash, _endPoints[i], seed: false, _now);
    }

    /// <summary>The BEP 33 filters of a 500-peer infohash.</summary>
    [Benchmark]
    public bool Scrape() => _store.Scrape(_infoHash, T0, _seeds, _peers);
}
