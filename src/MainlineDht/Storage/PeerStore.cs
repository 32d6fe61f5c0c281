using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.Storage;

/// <summary>
/// The peers other nodes announced to us (<c>announce_peer</c>), served back in <c>get_peers</c>
/// replies: per infohash, one entry per IP address with its port, seed flag (BEP 33) and the time
/// of its last announce.
/// </summary>
/// <remarks>
/// <para>
/// Plain data, no I/O and no clock: every method takes the current time, and sampling draws from
/// the <see cref="Random"/> given at construction. Not thread-safe: the node's event loop owns it.
/// </para>
/// <para>
/// Bounds (<see cref="PeerStoreOptions"/>): at the per-infohash bound a new peer replaces the least
/// recently announced one; at the infohash bound a new infohash replaces the stored one with the
/// fewest peers (ties: the least recently announced) if that one has a single peer or no live peer
/// left, and is refused otherwise. A flood of one-peer infohashes, the cheap attack, thus only
/// displaces other one-peer infohashes; swarms that several addresses announced stay.
/// </para>
/// <para>
/// Expiry: a peer announced at t is never returned at or after t + <see cref="PeerStoreOptions.PeerLifetime"/>.
/// Its memory is reclaimed by <see cref="RemoveExpired"/>, which the node calls periodically (every
/// minute or so); it costs O(infohashes + expired peers). Times are kept monotonic per infohash:
/// a clock stepping back never reorders peers.
/// </para>
/// </remarks>
internal sealed partial class PeerStore
{
    /// <summary>Bytes of one compact IPv4 peer: address then port, big-endian.</summary>
    public const int CompactIPv4Size = 6;

    /// <summary>Bytes of one compact IPv6 peer: address then port, big-endian.</summary>
    public const int CompactIPv6Size = 18;

    private readonly PeerStoreOptions _options;
    private readonly Random _random;
    private readonly long _lifetimeTicks;
    private Dictionary<NodeId, Swarm>? _swarms; // made at the first announce (most nodes of a large network hold none)
    private EvictionHeap? _heap; // made with the table, at the first announce

    private EvictionHeap Heap => _heap ??= new();
    private int[] _scratch = [];
    private int _peerCount;

    /// <summary>Creates an empty store.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public PeerStore(PeerStoreOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _random = random;
        _lifetimeTicks = options.PeerLifetime.Ticks;
    }

    /// <summary>The bounds this store keeps.</summary>
    public PeerStoreOptions Options => _options;

    /// <summary>How many infohashes are stored (some may hold only expired peers until <see cref="RemoveExpired"/>).</summary>
    public int InfoHashCount => _swarms?.Count ?? 0;

    /// <summary>How many peers are stored over all infohashes (expired ones included until <see cref="RemoveExpired"/>).</summary>
    public int PeerCount => _peerCount;

    /// <summary>The size of one compact peer of <paramref name="family"/>: 6 for IPv4, 18 for IPv6.</summary>
    /// <exception cref="ArgumentException">Another address family.</exception>
    public static int CompactPeerSize(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => CompactIPv4Size,
        AddressFamily.InterNetworkV6 => CompactIPv6Size,
        _ => throw new ArgumentException($"Peers are IPv4 or IPv6, not {family}.", nameof(family)),
    };

    /// <summary>
    /// Stores (or refreshes) <paramref name="peer"/> for <paramref name="infoHash"/>. The caller has
    /// already checked the write token and resolved <c>implied_port</c>. An IPv4-mapped IPv6
    /// address is stored as IPv4. Allocates only when an infohash is new or a peer set grows.
    /// </summary>
    public AnnounceOutcome Announce(NodeId infoHash, IPEndPoint peer, bool seed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        UInt128 address = PeerAddress.ToKey(peer.Address);
        if (peer.Port == 0 || !PeerAddress.IsUsablePeer(address))
        {
            return AnnounceOutcome.RefusedInvalidPeer;
        }

        long nowTicks = now.UtcTicks;
        var port = (ushort)peer.Port;
        if (_swarms is not null && _swarms.TryGetValue(infoHash, out Swarm? swarm))
        {
            int before = swarm.Count;
            AnnounceOutcome outcome = swarm.Announce(address, port, seed, nowTicks, _options.MaxPeersPerInfoHash);
            _peerCount += swarm.Count - before;
            Heap.Update(swarm);
            return outcome;
        }

        AnnounceOutcome added = AnnounceOutcome.AddedInfoHash;
        if (InfoHashCount >= _options.MaxInfoHashes)
        {
            Swarm victim = Heap.Min;
            if (!IsEvictable(victim, nowTicks))
            {
                return AnnounceOutcome.RefusedStoreFull;
            }

            RemoveSwarm(victim);
            added = AnnounceOutcome.ReplacedInfoHash;
        }

        swarm = new Swarm(infoHash);
        swarm.Announce(address, port, seed, nowTicks, _options.MaxPeersPerInfoHash);
        (_swarms ??= []).Add(infoHash, swarm);
        Heap.Add(swarm);
        _peerCount++;
        return added;
    }

    /// <summary>
    /// True when an announce for <paramref name="infoHash"/> would be stored now: the infohash is
    /// held already, there is room, or a stored infohash can make room. A node may withhold the
    /// write token from a <c>get_peers</c> reply when false, as BEP 33 suggests.
    /// </summary>
    public bool CanAcceptAnnounce(NodeId infoHash, DateTimeOffset now) =>
        InfoHashCount < _options.MaxInfoHashes
        || _swarms?.ContainsKey(infoHash) == true
        || IsEvictable(Heap.Min, now.UtcTicks);

    /// <summary>
    /// Writes a uniformly random sample of up to <paramref name="maxCount"/> live peers of
    /// <paramref name="family"/> stored for <paramref name="infoHash"/> into
    /// <paramref name="destination"/>, as consecutive compact peers (<see cref="CompactPeerSize"/>
    /// bytes each: address then port, big-endian), and returns how many it wrote. No peer appears
    /// twice; the order is random too, so any prefix of the result is itself a uniform sample.
    /// Fewer are written when fewer are stored or <paramref name="destination"/> has room for fewer.
    /// Allocates nothing once warmed up.
    /// </summary>
    /// <param name="infoHash">The infohash asked for.</param>
    /// <param name="maxCount">The most peers to write.</param>
    /// <param name="family">IPv4 or IPv6: a reply carries one family (the requester's).</param>
    /// <param name="now">The current time: expired peers are skipped.</param>
    /// <param name="destination">Where the compact peers go.</param>
    /// <param name="noSeed">BEP 33 <c>noseed</c> = 1: leave out peers that announced as seeds.</param>
    /// <exception cref="ArgumentException"><paramref name="family"/> is neither IPv4 nor IPv6.</exception>
    public int GetPeers(NodeId infoHash, int maxCount, AddressFamily family, DateTimeOffset now, Span<byte> destination, bool noSeed = false)
    {
        int entrySize = CompactPeerSize(family);
        int limit = Math.Min(maxCount, destination.Length / entrySize);
        if (limit <= 0 || _swarms is null || !_swarms.TryGetValue(infoHash, out Swarm? swarm))
        {
            return 0;
        }

        bool wantIPv4 = family == AddressFamily.InterNetwork;
        long cutoff = ExpiryCutoff(now.UtcTicks);
        if (_scratch.Length < swarm.Count)
        {
            _scratch = new int[Math.Min(_options.MaxPeersPerInfoHash, Math.Max(64, swarm.Count * 2))];
        }

        // Candidates, then a partial Fisher–Yates shuffle: the first `limit` picks are uniform.
        Span<int> candidates = _scratch;
        int candidateCount = 0;
        ReadOnlySpan<PeerSlot> slots = swarm.Slots;
        for (int i = 0; i < slots.Length; i++)
        {
            ref readonly PeerSlot slot = ref slots[i];
            if (slot.AnnouncedTicks > cutoff && PeerAddress.IsIPv4(slot.Address) == wantIPv4 && !(noSeed && slot.Seed))
            {
                candidates[candidateCount++] = i;
            }
        }

        int count = Math.Min(limit, candidateCount);
        for (int k = 0; k < count; k++)
        {
            int j = _random.Next(k, candidateCount);
            (candidates[k], candidates[j]) = (candidates[j], candidates[k]);
            WriteCompactPeer(slots[candidates[k]], destination.Slice(k * entrySize, entrySize));
        }

        return count;
    }

    /// <summary>Whether any peer of <paramref name="infoHash"/> is held (live or not yet removed as expired).</summary>
    internal bool Holds(NodeId infoHash) => _swarms?.ContainsKey(infoHash) == true;

    /// <summary>
    /// Fills the BEP 33 scrape filters for <paramref name="infoHash"/>: <paramref name="seeds"/>
    /// (<c>BFsd</c>) with the addresses of live seeds, <paramref name="peers"/> (<c>BFpe</c>) with the
    /// other live peers, both families together. Both filters are cleared first. Returns false, and
    /// leaves them empty, when no live peer is stored: the reply then carries no filters.
    /// </summary>
    public bool Scrape(NodeId infoHash, DateTimeOffset now, ScrapeBloomFilter seeds, ScrapeBloomFilter peers)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(peers);
        seeds.Clear();
        peers.Clear();
        if (_swarms is null || !_swarms.TryGetValue(infoHash, out Swarm? swarm))
        {
            return false;
        }

        long cutoff = ExpiryCutoff(now.UtcTicks);
        bool any = false;
        foreach (ref readonly PeerSlot slot in swarm.Slots)
        {
            if (slot.AnnouncedTicks > cutoff)
            {
                (slot.Seed ? seeds : peers).Insert(slot.BloomIndex1, slot.BloomIndex2);
                any = true;
            }
        }

        return any;
    }

    /// <summary>
    /// Drops every expired peer, and every infohash left with none; returns how many peers went.
    /// O(infohashes + expired peers): peers are kept in announce order per infohash.
    /// </summary>
    public int RemoveExpired(DateTimeOffset now)
    {
        if (_swarms is not { Count: > 0 } swarms)
        {
            return 0;
        }

        long cutoff = ExpiryCutoff(now.UtcTicks);
        int removed = 0;

        // Removing the current entry while enumerating a Dictionary is allowed (.NET Core 3.0+).
        foreach (Swarm swarm in swarms.Values)
        {
            int dropped = swarm.RemoveAnnouncedAtOrBefore(cutoff);
            if (dropped == 0)
            {
                continue;
            }

            removed += dropped;
            _peerCount -= dropped;
            if (swarm.Count == 0)
            {
                swarms.Remove(swarm.InfoHash);
                Heap.Remove(swarm);
            }
            else
            {
                Heap.Update(swarm);
            }
        }

        return removed;
    }

    /// <summary>
    /// Writes a uniformly random sample of up to <paramref name="maxCount"/> distinct stored
    /// infohashes that have a live peer into <paramref name="destination"/>, in random order, and
    /// returns how many it wrote (for BEP 51 <c>sample_infohashes</c>). O(infohashes); allocates nothing.
    /// </summary>
    public int SampleInfoHashes(int maxCount, Random random, DateTimeOffset now, Span<NodeId> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        int wanted = Math.Min(maxCount, destination.Length);
        if (wanted <= 0)
        {
            return 0;
        }

        long cutoff = ExpiryCutoff(now.UtcTicks);
        ReadOnlySpan<Swarm> all = _heap is null ? [] : _heap.Items;
        int live = 0;
        foreach (Swarm swarm in all)
        {
            live += swarm.NewestTicks > cutoff ? 1 : 0;
        }

        // Selection sampling (Knuth's algorithm S): each live infohash is taken with probability
        // (still wanted) / (still unseen), which yields a uniform sample in one pass.
        int count = Math.Min(wanted, live);
        int taken = 0;
        for (int i = 0; i < all.Length && taken < count; i++)
        {
            if (all[i].NewestTicks <= cutoff)
            {
                continue;
            }

            if (random.Next(live) < count - taken)
            {
                destination[taken++] = all[i].InfoHash;
            }

            live--;
        }

        // The pass keeps storage order; shuffle so a prefix is a uniform sample too.
        random.Shuffle(destination[..taken]);
        return taken;
    }

    private long ExpiryCutoff(long nowTicks) => nowTicks - _lifetimeTicks;

    // Evictable for a newcomer: a single peer (the newcomer has one too), or no live peer at all.
    private bool IsEvictable(Swarm swarm, long nowTicks) =>
        swarm.Count <= 1 || swarm.NewestTicks <= ExpiryCutoff(nowTicks);

    private void RemoveSwarm(Swarm swarm)
    {
        _swarms?.Remove(swarm.InfoHash);
        Heap.Remove(swarm);
        _peerCount -= swarm.Count;
    }

    private static void WriteCompactPeer(in PeerSlot slot, Span<byte> destination)
    {
        int length = PeerAddress.Write(slot.Address, destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[length..], slot.Port);
    }
}
