using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Tests.Storage;

public class PeerStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeId InfoHash = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly NodeId OtherInfoHash = NodeId.Parse("fedcba9876543210fedcba9876543210fedcba98");

    private static PeerStore Create(PeerStoreOptions? options = null, int seed = 1) => new(options ?? new PeerStoreOptions(), new Random(seed));

    private static IPEndPoint Ep(string text) => IPEndPoint.Parse(text);

    private static IPEndPoint V4(int i, int port = 6881) => new(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), port);

    private static List<IPEndPoint> Peers(PeerStore store, NodeId infoHash, DateTimeOffset now, AddressFamily family = AddressFamily.InterNetwork, int maxCount = int.MaxValue, bool noSeed = false)
    {
        int size = PeerStore.CompactPeerSize(family);
        var buffer = new byte[size * 2000];
        int count = store.GetPeers(infoHash, maxCount, family, now, buffer, noSeed);
        return Decode(buffer.AsSpan(0, count * size), size);
    }

    private static List<IPEndPoint> Decode(ReadOnlySpan<byte> compact, int size)
    {
        var result = new List<IPEndPoint>();
        for (int i = 0; i < compact.Length; i += size)
        {
            ReadOnlySpan<byte> entry = compact.Slice(i, size);
            result.Add(new IPEndPoint(new IPAddress(entry[..(size - 2)]), BinaryPrimitives.ReadUInt16BigEndian(entry[(size - 2)..])));
        }

        return result;
    }

    [Test]
    public void Default_options_are_the_documented_ones()
    {
        var options = new PeerStoreOptions();
        Assert.That(options.MaxInfoHashes, Is.EqualTo(2000));
        Assert.That(options.MaxPeersPerInfoHash, Is.EqualTo(500));
        Assert.That(options.PeerLifetime, Is.EqualTo(TimeSpan.FromMinutes(30)));
    }

    [Test]
    public void Invalid_options_are_rejected()
    {
        Assert.That(() => Create(new PeerStoreOptions { MaxInfoHashes = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Create(new PeerStoreOptions { MaxPeersPerInfoHash = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Create(new PeerStoreOptions { PeerLifetime = TimeSpan.Zero }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Announced_IPv4_peer_comes_back_as_6_compact_bytes()
    {
        PeerStore store = Create();
        Assert.That(store.Announce(InfoHash, Ep("192.0.2.1:6881"), seed: false, T0), Is.EqualTo(AnnounceOutcome.AddedInfoHash));

        var buffer = new byte[64];
        int count = store.GetPeers(InfoHash, 10, AddressFamily.InterNetwork, T0, buffer);
        Assert.That(count, Is.EqualTo(1));
        Assert.That(buffer[..6], Is.EqualTo(new byte[] { 192, 0, 2, 1, 0x1A, 0xE1 }));
        Assert.That(store.InfoHashCount, Is.EqualTo(1));
        Assert.That(store.PeerCount, Is.EqualTo(1));
    }

    [Test]
    public void Announced_IPv6_peer_comes_back_as_18_compact_bytes()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("[2001:db8::1]:51413"), seed: false, T0);

        var buffer = new byte[64];
        Assert.That(store.GetPeers(InfoHash, 10, AddressFamily.InterNetworkV6, T0, buffer), Is.EqualTo(1));
        byte[] expected = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xC8, 0xD5];
        Assert.That(buffer[..18], Is.EqualTo(expected));
        Assert.That(store.GetPeers(InfoHash, 10, AddressFamily.InterNetwork, T0, buffer), Is.Zero);
    }

    [Test]
    public void Unknown_infohash_has_no_peers()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);
        Assert.That(Peers(store, OtherInfoHash, T0), Is.Empty);
    }

    [Test]
    public void IPv4_mapped_announce_is_stored_as_IPv4()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("[::ffff:192.0.2.9]:7000"), false, T0);
        Assert.That(Peers(store, InfoHash, T0), Is.EqualTo(new[] { Ep("192.0.2.9:7000") }));
        Assert.That(Peers(store, InfoHash, T0, AddressFamily.InterNetworkV6), Is.Empty);
        Assert.That(store.Announce(InfoHash, Ep("192.0.2.9:7001"), false, T0), Is.EqualTo(AnnounceOutcome.Refreshed));
    }

    [TestCase("0.0.0.0:6881")]
    [TestCase("255.255.255.255:6881")]
    [TestCase("224.0.0.1:6881")]
    [TestCase("[::]:6881")]
    [TestCase("[ff02::1]:6881")]
    [TestCase("192.0.2.1:0")]
    public void Unusable_peer_is_refused_and_nothing_stored(string endPoint)
    {
        PeerStore store = Create();
        Assert.That(store.Announce(InfoHash, Ep(endPoint), false, T0), Is.EqualTo(AnnounceOutcome.RefusedInvalidPeer));
        Assert.That(store.InfoHashCount, Is.Zero);
        Assert.That(store.PeerCount, Is.Zero);
    }

    [Test]
    public void Peer_expires_30_minutes_after_its_announce()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);

        Assert.That(Peers(store, InfoHash, T0.AddMinutes(29).AddSeconds(59)), Has.Count.EqualTo(1));
        Assert.That(store.RemoveExpired(T0.AddMinutes(29).AddSeconds(59)), Is.Zero);
        Assert.That(store.PeerCount, Is.EqualTo(1));

        Assert.That(Peers(store, InfoHash, T0.AddMinutes(30)), Is.Empty, "expired at exactly the lifetime");
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(30).AddSeconds(1)), Is.Empty);
        Assert.That(store.RemoveExpired(T0.AddMinutes(30).AddSeconds(1)), Is.EqualTo(1));
        Assert.That(store.PeerCount, Is.Zero);
        Assert.That(store.InfoHashCount, Is.Zero, "an infohash with no peer left goes too");
        store.VerifyInvariants();
    }

    [Test]
    public void Lifetime_is_configurable()
    {
        PeerStore store = Create(new PeerStoreOptions { PeerLifetime = TimeSpan.FromMinutes(2) });
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);
        Assert.That(Peers(store, InfoHash, T0.AddSeconds(119)), Has.Count.EqualTo(1));
        Assert.That(Peers(store, InfoHash, T0.AddSeconds(121)), Is.Empty);
    }

    [Test]
    public void Re_announce_refreshes_the_expiry()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);
        Assert.That(store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0.AddMinutes(20)), Is.EqualTo(AnnounceOutcome.Refreshed));

        Assert.That(store.RemoveExpired(T0.AddMinutes(45)), Is.Zero);
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(49).AddSeconds(59)), Has.Count.EqualTo(1));
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(50).AddSeconds(1)), Is.Empty);
        Assert.That(store.RemoveExpired(T0.AddMinutes(50).AddSeconds(1)), Is.EqualTo(1));
    }

    [Test]
    public void Expiry_removes_only_the_expired_peers()
    {
        PeerStore store = Create();
        for (int i = 0; i < 10; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0.AddMinutes(i));
        }

        store.Announce(InfoHash, V4(0), false, T0.AddMinutes(10)); // refreshed: now the newest

        Assert.That(store.RemoveExpired(T0.AddMinutes(34).AddSeconds(30)), Is.EqualTo(4)); // peers 1..4
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(34).AddSeconds(30)), Is.EquivalentTo(new[] { 0, 5, 6, 7, 8, 9 }.Select(i => V4(i))));
        store.VerifyInvariants();
    }

    [Test]
    public void Same_address_is_one_peer_and_a_new_port_replaces_the_old()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);
        Assert.That(store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0.AddMinutes(1)), Is.EqualTo(AnnounceOutcome.Refreshed));
        Assert.That(store.Announce(InfoHash, Ep("192.0.2.1:7000"), false, T0.AddMinutes(2)), Is.EqualTo(AnnounceOutcome.Refreshed));

        Assert.That(store.PeerCount, Is.EqualTo(1));
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(2)), Is.EqualTo(new[] { Ep("192.0.2.1:7000") }));
    }

    [Test]
    public void Same_address_under_two_infohashes_is_two_entries()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), false, T0);
        Assert.That(store.Announce(OtherInfoHash, Ep("192.0.2.1:6881"), false, T0), Is.EqualTo(AnnounceOutcome.AddedInfoHash));
        Assert.That(store.PeerCount, Is.EqualTo(2));
        Assert.That(store.InfoHashCount, Is.EqualTo(2));
    }

    [Test]
    public void Re_announce_updates_the_seed_flag()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:6881"), seed: false, T0);
        Assert.That(Peers(store, InfoHash, T0, noSeed: true), Has.Count.EqualTo(1));

        store.Announce(InfoHash, Ep("192.0.2.1:6881"), seed: true, T0);
        Assert.That(Peers(store, InfoHash, T0, noSeed: true), Is.Empty);
        Assert.That(Peers(store, InfoHash, T0), Has.Count.EqualTo(1));
    }

    [Test]
    public void Full_infohash_replaces_its_least_recently_announced_peer()
    {
        PeerStore store = Create(new PeerStoreOptions { MaxPeersPerInfoHash = 3 });
        store.Announce(InfoHash, V4(1), false, T0);
        store.Announce(InfoHash, V4(2), false, T0.AddMinutes(1));
        store.Announce(InfoHash, V4(3), false, T0.AddMinutes(2));
        store.Announce(InfoHash, V4(1), false, T0.AddMinutes(3)); // 1 refreshed: 2 is now the oldest

        Assert.That(store.Announce(InfoHash, V4(4), false, T0.AddMinutes(4)), Is.EqualTo(AnnounceOutcome.ReplacedOldestPeer));
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(4)), Is.EquivalentTo(new[] { V4(1), V4(3), V4(4) }));
        Assert.That(store.Announce(InfoHash, V4(5), false, T0.AddMinutes(5)), Is.EqualTo(AnnounceOutcome.ReplacedOldestPeer));
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(5)), Is.EquivalentTo(new[] { V4(1), V4(4), V4(5) }));
        Assert.That(store.PeerCount, Is.EqualTo(3));
        store.VerifyInvariants();
    }

    [Test]
    public void Peer_bound_counts_both_families()
    {
        PeerStore store = Create(new PeerStoreOptions { MaxPeersPerInfoHash = 2 });
        store.Announce(InfoHash, Ep("192.0.2.1:1"), false, T0);
        store.Announce(InfoHash, Ep("[2001:db8::1]:1"), false, T0.AddSeconds(1));
        Assert.That(store.Announce(InfoHash, Ep("[2001:db8::2]:1"), false, T0.AddSeconds(2)), Is.EqualTo(AnnounceOutcome.ReplacedOldestPeer));
        Assert.That(Peers(store, InfoHash, T0.AddSeconds(2)), Is.Empty);
        Assert.That(Peers(store, InfoHash, T0.AddSeconds(2), AddressFamily.InterNetworkV6), Has.Count.EqualTo(2));
    }

    [Test]
    public void Full_store_replaces_the_least_recently_announced_single_peer_infohash()
    {
        PeerStore store = Create(new PeerStoreOptions { MaxInfoHashes = 3 });
        NodeId a = NodeId.CreateRandom(new Random(1)), b = NodeId.CreateRandom(new Random(2)), c = NodeId.CreateRandom(new Random(3)), d = NodeId.CreateRandom(new Random(4));
        store.Announce(a, V4(1), false, T0);
        store.Announce(a, V4(2), false, T0);              // a: two peers, kept
        store.Announce(b, V4(3), false, T0.AddMinutes(1)); // b: one peer, older
        store.Announce(c, V4(4), false, T0.AddMinutes(2)); // c: one peer, newer

        Assert.That(store.Announce(d, V4(5), false, T0.AddMinutes(3)), Is.EqualTo(AnnounceOutcome.ReplacedInfoHash));
        Assert.That(Peers(store, b, T0.AddMinutes(3)), Is.Empty);
        Assert.That(Peers(store, a, T0.AddMinutes(3)), Has.Count.EqualTo(2));
        Assert.That(Peers(store, c, T0.AddMinutes(3)), Has.Count.EqualTo(1));
        Assert.That(Peers(store, d, T0.AddMinutes(3)), Has.Count.EqualTo(1));
        Assert.That(store.InfoHashCount, Is.EqualTo(3));
        Assert.That(store.PeerCount, Is.EqualTo(4));
        store.VerifyInvariants();
    }

    [Test]
    public void Full_store_of_multi_peer_infohashes_refuses_a_new_infohash()
    {
        PeerStore store = Create(new PeerStoreOptions { MaxInfoHashes = 2 });
        store.Announce(InfoHash, V4(1), false, T0);
        store.Announce(InfoHash, V4(2), false, T0);
        store.Announce(OtherInfoHash, V4(3), false, T0);
        store.Announce(OtherInfoHash, V4(4), false, T0);
        NodeId third = NodeId.CreateRandom(new Random(5));

        Assert.That(store.CanAcceptAnnounce(third, T0.AddMinutes(1)), Is.False);
        Assert.That(store.Announce(third, V4(5), false, T0.AddMinutes(1)), Is.EqualTo(AnnounceOutcome.RefusedStoreFull));
        Assert.That(store.CanAcceptAnnounce(InfoHash, T0.AddMinutes(1)), Is.True, "a held infohash always accepts");
        Assert.That(store.Announce(InfoHash, V4(6), false, T0.AddMinutes(1)), Is.EqualTo(AnnounceOutcome.Added));
        Assert.That(store.PeerCount, Is.EqualTo(5));

        // Once the smallest infohash's peers have expired it gives way, even before RemoveExpired.
        Assert.That(store.CanAcceptAnnounce(third, T0.AddMinutes(30)), Is.True);
        Assert.That(store.Announce(third, V4(5), false, T0.AddMinutes(30)), Is.EqualTo(AnnounceOutcome.ReplacedInfoHash));
        Assert.That(Peers(store, OtherInfoHash, T0.AddMinutes(30)), Is.Empty);
        Assert.That(Peers(store, InfoHash, T0.AddMinutes(30)), Has.Count.EqualTo(1), "the peer announced at 1 min is still alive");
        store.VerifyInvariants();
    }

    [Test]
    public void Bounds_hold_under_a_flood_of_random_announces()
    {
        var options = new PeerStoreOptions { MaxInfoHashes = 64, MaxPeersPerInfoHash = 32 };
        PeerStore store = Create(options);
        var random = new Random(42);
        NodeId[] infoHashes = Enumerable.Range(0, 256).Select(_ => NodeId.CreateRandom(random)).ToArray();
        DateTimeOffset now = T0;
        var outcomes = new Dictionary<AnnounceOutcome, int>();

        for (int i = 0; i < 100_000; i++)
        {
            now = now.AddMilliseconds(random.Next(0, 100));

            // Skewed: a few popular infohashes from many addresses, many rare ones.
            NodeId infoHash = random.Next(4) == 0 ? infoHashes[random.Next(8)] : infoHashes[random.Next(infoHashes.Length)];
            IPEndPoint peer = random.Next(3) == 0
                ? new IPEndPoint(new IPAddress([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)random.Next(4), (byte)random.Next(256)]), random.Next(1, 65536))
                : V4(random.Next(2000), random.Next(1, 65536));
            AnnounceOutcome outcome = store.Announce(infoHash, peer, random.Next(2) == 0, now);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            Assert.That(store.InfoHashCount, Is.LessThanOrEqualTo(options.MaxInfoHashes));
            Assert.That(store.PeerCount, Is.LessThanOrEqualTo(options.MaxInfoHashes * options.MaxPeersPerInfoHash));
            if (i % 997 == 0)
            {
                store.VerifyInvariants();
                store.RemoveExpired(now);
            }
        }

        store.VerifyInvariants();
        Assert.That(outcomes.Keys, Is.SupersetOf(new[] { AnnounceOutcome.Added, AnnounceOutcome.Refreshed, AnnounceOutcome.ReplacedOldestPeer, AnnounceOutcome.ReplacedInfoHash, AnnounceOutcome.RefusedStoreFull }));
        foreach (NodeId infoHash in infoHashes)
        {
            Assert.That(Peers(store, infoHash, now).Count + Peers(store, infoHash, now, AddressFamily.InterNetworkV6).Count, Is.LessThanOrEqualTo(options.MaxPeersPerInfoHash));
        }
    }

    [Test]
    public void Default_bounds_hold_under_a_flood_of_fresh_infohashes_and_peers()
    {
        PeerStore store = Create();
        var random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            store.Announce(NodeId.CreateRandom(random), V4(random.Next(1 << 24), random.Next(1, 65536)), false, T0.AddMilliseconds(i));
            Assert.That(store.InfoHashCount, Is.LessThanOrEqualTo(2000));
        }

        Assert.That(store.InfoHashCount, Is.EqualTo(2000));
        Assert.That(store.PeerCount, Is.EqualTo(2000));
        store.VerifyInvariants();
    }

    [Test]
    public void Flood_on_one_infohash_keeps_the_newest_peers_up_to_the_bound()
    {
        PeerStore store = Create();
        for (int i = 0; i < 100_000; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0.AddMilliseconds(i));
            Assert.That(store.PeerCount, Is.LessThanOrEqualTo(500));
        }

        Assert.That(Peers(store, InfoHash, T0.AddMilliseconds(100_000)), Is.EquivalentTo(Enumerable.Range(99_500, 500).Select(i => V4(i))));
        store.VerifyInvariants();
    }

    [Test]
    public void GetPeers_respects_maxCount_and_the_destination_size()
    {
        PeerStore store = Create();
        for (int i = 0; i < 100; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0);
        }

        Assert.That(Peers(store, InfoHash, T0, maxCount: 25), Has.Count.EqualTo(25));
        Assert.That(Peers(store, InfoHash, T0, maxCount: 0), Is.Empty);
        Assert.That(Peers(store, InfoHash, T0, maxCount: -1), Is.Empty);
        Assert.That(Peers(store, InfoHash, T0, maxCount: 1000), Has.Count.EqualTo(100));
        Assert.That(store.GetPeers(InfoHash, 50, AddressFamily.InterNetwork, T0, new byte[6 * 7 + 5]), Is.EqualTo(7));
        Assert.That(store.GetPeers(InfoHash, 50, AddressFamily.InterNetwork, T0, new byte[5]), Is.Zero);
    }

    [Test]
    public void GetPeers_never_returns_duplicates_or_expired_peers()
    {
        PeerStore store = Create();
        for (int i = 0; i < 60; i++)
        {
            store.Announce(InfoHash, V4(i), false, i < 30 ? T0 : T0.AddMinutes(20));
        }

        for (int trial = 0; trial < 200; trial++)
        {
            List<IPEndPoint> peers = Peers(store, InfoHash, T0.AddMinutes(31), maxCount: 1 + (trial % 40));
            Assert.That(peers, Is.Unique);
            Assert.That(peers, Has.Count.EqualTo(Math.Min(30, 1 + (trial % 40))));
            Assert.That(peers.Select(p => p.Address.GetAddressBytes()[3]), Has.All.GreaterThanOrEqualTo(30));
        }
    }

    [Test]
    public void GetPeers_returns_only_the_asked_family()
    {
        PeerStore store = Create();
        for (int i = 0; i < 20; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0);
            store.Announce(InfoHash, new IPEndPoint(IPAddress.Parse($"2001:db8::{i + 1:x}"), 6881), false, T0);
        }

        List<IPEndPoint> v4 = Peers(store, InfoHash, T0, AddressFamily.InterNetwork, maxCount: 15);
        List<IPEndPoint> v6 = Peers(store, InfoHash, T0, AddressFamily.InterNetworkV6, maxCount: 15);
        Assert.That(v4, Has.Count.EqualTo(15).And.All.Property(nameof(IPEndPoint.AddressFamily)).EqualTo(AddressFamily.InterNetwork));
        Assert.That(v6, Has.Count.EqualTo(15).And.All.Property(nameof(IPEndPoint.AddressFamily)).EqualTo(AddressFamily.InterNetworkV6));
        Assert.That(() => store.GetPeers(InfoHash, 5, AddressFamily.Unix, T0, new byte[100]), Throws.ArgumentException);
    }

    [Test]
    public void GetPeers_with_noSeed_leaves_out_seeds()
    {
        PeerStore store = Create();
        for (int i = 0; i < 20; i++)
        {
            store.Announce(InfoHash, V4(i), seed: i % 2 == 0, T0);
        }

        List<IPEndPoint> peers = Peers(store, InfoHash, T0, noSeed: true);
        Assert.That(peers, Has.Count.EqualTo(10));
        Assert.That(peers.Select(p => p.Address.GetAddressBytes()[3] % 2), Has.All.EqualTo(1));
    }

    [Test]
    public void GetPeers_sample_is_uniform()
    {
        const int Peers = 40, Take = 10, Trials = 40_000;
        PeerStore store = Create(seed: 3);
        for (int i = 0; i < Peers; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0);
        }

        var hits = new int[Peers];
        var firsts = new int[Peers];
        var buffer = new byte[Take * 6];
        for (int trial = 0; trial < Trials; trial++)
        {
            Assert.That(store.GetPeers(InfoHash, Take, AddressFamily.InterNetwork, T0, buffer), Is.EqualTo(Take));
            for (int k = 0; k < Take; k++)
            {
                hits[buffer[(k * 6) + 3]]++;
            }

            firsts[buffer[3]]++;
        }

        // Each peer is in a sample with probability Take/Peers (expected 10,000, sd ≈ 87):
        // chi-square with 39 degrees of freedom stays far below 80 unless the sample is skewed.
        double expected = (double)Trials * Take / Peers;
        double chiSquare = hits.Sum(h => (h - expected) * (h - expected) / expected);
        Assert.That(chiSquare, Is.LessThan(80), string.Join(",", hits));

        // The order is random too: every peer is first about equally often (expected 1000).
        double expectedFirst = (double)Trials / Peers;
        double chiSquareFirst = firsts.Sum(h => (h - expectedFirst) * (h - expectedFirst) / expectedFirst);
        Assert.That(chiSquareFirst, Is.LessThan(80), string.Join(",", firsts));
    }

    [Test]
    public void GetPeers_and_re_announces_allocate_nothing_once_warm()
    {
        PeerStore store = Create();
        for (int i = 0; i < 500; i++)
        {
            store.Announce(InfoHash, V4(i), false, T0);
        }

        IPEndPoint[] endPoints = Enumerable.Range(0, 100).Select(i => V4(i)).ToArray();
        var buffer = new byte[50 * 6];
        store.GetPeers(InfoHash, 50, AddressFamily.InterNetwork, T0, buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < endPoints.Length; i++)
        {
            store.GetPeers(InfoHash, 50, AddressFamily.InterNetwork, T0, buffer);
            store.Announce(InfoHash, endPoints[i], false, T0.AddSeconds(i));
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void Scrape_fills_seed_and_peer_filters_with_live_addresses_of_both_families()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.3:1"), seed: false, T0.AddMinutes(-10)); // expired by T0 + 25
        store.Announce(InfoHash, Ep("192.0.2.1:1"), seed: true, T0);
        store.Announce(InfoHash, Ep("[2001:db8::1]:1"), seed: true, T0);
        store.Announce(InfoHash, Ep("192.0.2.2:1"), seed: false, T0);

        var seeds = new ScrapeBloomFilter();
        var peers = new ScrapeBloomFilter();
        peers.Insert(IPAddress.Parse("198.51.100.1")); // stale content is cleared
        Assert.That(store.Scrape(InfoHash, T0.AddMinutes(25), seeds, peers), Is.True);

        var expectedSeeds = new ScrapeBloomFilter();
        expectedSeeds.Insert(IPAddress.Parse("192.0.2.1"));
        expectedSeeds.Insert(IPAddress.Parse("2001:db8::1"));
        var expectedPeers = new ScrapeBloomFilter();
        expectedPeers.Insert(IPAddress.Parse("192.0.2.2"));
        Assert.That(seeds.Bits.ToArray(), Is.EqualTo(expectedSeeds.Bits.ToArray()));
        Assert.That(peers.Bits.ToArray(), Is.EqualTo(expectedPeers.Bits.ToArray()));
    }

    [Test]
    public void Scrape_of_an_unknown_or_expired_infohash_is_false_with_empty_filters()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, Ep("192.0.2.1:1"), seed: true, T0);
        var seeds = new ScrapeBloomFilter();
        var peers = new ScrapeBloomFilter();

        Assert.That(store.Scrape(OtherInfoHash, T0, seeds, peers), Is.False);
        Assert.That(store.Scrape(InfoHash, T0.AddMinutes(31), seeds, peers), Is.False);
        Assert.That(seeds.IsEmpty && peers.IsEmpty, Is.True);
    }

    [Test]
    public void SampleInfoHashes_returns_distinct_live_infohashes_up_to_the_limit()
    {
        PeerStore store = Create();
        var random = new Random(9);
        NodeId[] all = Enumerable.Range(0, 30).Select(_ => NodeId.CreateRandom(random)).ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            store.Announce(all[i], V4(i), false, i < 10 ? T0.AddMinutes(-20) : T0);
        }

        var destination = new NodeId[50];
        int count = store.SampleInfoHashes(8, random, T0.AddMinutes(15), destination);
        Assert.That(count, Is.EqualTo(8));
        Assert.That(destination[..count], Is.Unique.And.SubsetOf(all[10..]));

        count = store.SampleInfoHashes(100, random, T0.AddMinutes(15), destination);
        Assert.That(destination[..count], Is.EquivalentTo(all[10..]));
        Assert.That(store.SampleInfoHashes(5, random, T0, destination.AsSpan(0, 3)), Is.EqualTo(3));
    }

    [Test]
    public void SampleInfoHashes_is_uniform()
    {
        PeerStore store = Create();
        var random = new Random(11);
        NodeId[] all = Enumerable.Range(0, 20).Select(_ => NodeId.CreateRandom(random)).ToArray();
        foreach (NodeId infoHash in all)
        {
            store.Announce(infoHash, V4(1), false, T0);
        }

        var hits = all.ToDictionary(h => h, _ => 0);
        var destination = new NodeId[5];
        for (int trial = 0; trial < 20_000; trial++)
        {
            store.SampleInfoHashes(5, random, T0, destination);
            foreach (NodeId infoHash in destination)
            {
                hits[infoHash]++;
            }
        }

        double expected = 20_000 * 5 / 20.0;
        double chiSquare = hits.Values.Sum(h => (h - expected) * (h - expected) / expected);
        Assert.That(chiSquare, Is.LessThan(45), string.Join(",", hits.Values)); // 19 degrees of freedom
    }

    [Test]
    public void Clock_stepping_back_does_not_break_the_store()
    {
        PeerStore store = Create();
        store.Announce(InfoHash, V4(1), false, T0);
        store.Announce(InfoHash, V4(2), false, T0.AddMinutes(-5));
        store.VerifyInvariants();
        Assert.That(store.RemoveExpired(T0.AddMinutes(29)), Is.Zero);
        Assert.That(store.RemoveExpired(T0.AddMinutes(30)), Is.EqualTo(2));
    }
}
