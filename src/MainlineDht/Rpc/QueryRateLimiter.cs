using System.Net;

namespace MainlineDht.Rpc;

/// <summary>Hears of each IP ban as it starts (<see cref="QueryRateLimiter.BanObserver"/>).</summary>
internal interface IBanObserver
{
    /// <summary>Called under the limiter's lock, outside the node's gate; must not take the gate.</summary>
    void OnBanned(IPAddress address, TimeSpan duration);
}

/// <summary>What the rate limiter decided about one query.</summary>
internal enum QueryAdmission
{
    /// <summary>Within the source's rate: answer it.</summary>
    Allowed,

    /// <summary>Over the source's rate: drop it.</summary>
    Limited,

    /// <summary>The source is banned for a while (it kept exceeding its rate): drop it.</summary>
    Banned,
}

/// <summary>
/// Limits how many queries per second each source IP may have answered: a token bucket per
/// address in a fixed-size table of 4,096 slots in sets of eight, each slot held by one address (only
/// when an address's set has no free or refilled slot does it share one), so memory stays bounded
/// whatever the number of senders and distinct addresses rarely share a bucket. An address that keeps exceeding its rate — whose queries
/// were dropped <c>banThreshold</c> times without its bucket ever filling up again in between — is
/// banned for <c>banDuration</c>: its queries are dropped without a look (libtorrent's
/// <c>dht_block_ratelimit</c> and <c>dht_block_timeout</c>). At most <see cref="MaxBans"/> addresses
/// are banned at once. Thread-safe under its own lock, so that the node decides about a query
/// before it takes its gate (the buckets are the limiter's alone).
/// </summary>
internal sealed class QueryRateLimiter
{
    /// <summary>The most addresses banned at once; when full, the ban that ends first gives way.</summary>
    public const int MaxBans = 1024;

    private const int Slots = 4096;

    /// <summary>Slots per set: an address may take any free (or refilled) slot of its set.</summary>
    private const int Ways = 8;

    private readonly double _ratePerSecond;
    private readonly double _burst;
    private readonly int _banThreshold;
    private readonly TimeSpan _banDuration;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    // Allocated at the first query: a node with the limit off (simulations) pays nothing.
    private double[]? _tokens;
    private long[]? _lastRefill;
    private Owner[]? _owners;
    private int[]? _dropped;
    private IPAddress?[]? _droppedFrom;
    private Dictionary<IPAddress, long>? _bannedUntil;

    public QueryRateLimiter(double ratePerSecond, double burst, TimeProvider time)
        : this(ratePerSecond, burst, 0, TimeSpan.Zero, time)
    {
    }

    /// <param name="ratePerSecond">Queries per second per address; 0 turns the limit (and bans) off.</param>
    /// <param name="burst">The bucket size.</param>
    /// <param name="banThreshold">Dropped queries that ban an address; 0 never bans.</param>
    /// <param name="banDuration">How long a ban lasts.</param>
    /// <param name="time">The clock.</param>
    public QueryRateLimiter(double ratePerSecond, double burst, int banThreshold, TimeSpan banDuration, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _burst = Math.Max(1, burst);
        _banThreshold = banDuration > TimeSpan.Zero ? banThreshold : 0;
        _banDuration = banDuration;
        _time = time;
    }

    /// <summary>False when the rate is unlimited.</summary>
    public bool Enabled => _ratePerSecond > 0;

    /// <summary>Bans started since the node started.</summary>
    public long BansStarted
    {
        get
        {
            lock (_lock)
            {
                return _bansStarted;
            }
        }
    }

    private long _bansStarted;

    /// <summary>Told of each ban as it starts (the address, the ban's length); called under the limiter's lock, outside the node's gate (it must not take the gate).</summary>
    public IBanObserver? BanObserver { get; init; }

    /// <summary>Addresses banned now (some of them may have just expired).</summary>
    public int Banned
    {
        get
        {
            lock (_lock)
            {
                return _bannedUntil?.Count ?? 0;
            }
        }
    }

    /// <summary>Takes one token for <paramref name="address"/>; false when its bucket is empty or it is banned.</summary>
    public bool TryAcquire(IPAddress address) => Admit(address) == QueryAdmission.Allowed;

    /// <summary>Decides about one query from <paramref name="address"/> (taking a token when it is allowed).</summary>
    public QueryAdmission Admit(IPAddress address)
    {
        if (!Enabled)
        {
            return QueryAdmission.Allowed;
        }

        lock (_lock)
        {
            return AdmitLocked(address);
        }
    }

    private QueryAdmission AdmitLocked(IPAddress address)
    {
        long now = _time.GetTimestamp();
        if (_bannedUntil is { Count: > 0 } bans && bans.TryGetValue(address, out long until))
        {
            if (now < until)
            {
                return QueryAdmission.Banned;
            }

            bans.Remove(address);
        }

        if (_tokens is null)
        {
            _tokens = new double[Slots];
            _lastRefill = new long[Slots];
            _owners = new Owner[Slots];
            Array.Fill(_tokens, _burst);
        }

        int slot = SlotOf(address, now, out double tokens);
        _lastRefill![slot] = now;
        if (tokens < 1)
        {
            _tokens[slot] = tokens;
            return Dropped(address, slot, now) ? QueryAdmission.Banned : QueryAdmission.Limited;
        }

        if (tokens >= _burst && _dropped is not null)
        {
            _dropped[slot] = 0; // it stayed within its rate long enough to fill its bucket: a fresh start
        }

        _tokens[slot] = tokens - 1;
        return QueryAdmission.Allowed;
    }

    /// <summary>
    /// The slot of <paramref name="address"/> and its tokens refilled to <paramref name="now"/>: in the
    /// address's set of <see cref="Ways"/> slots, the one it holds; else a free one, or one whose
    /// bucket has filled up again (an owner idle that long loses nothing by giving it up), taken with
    /// a full bucket; else, the set being busy, it shares the slot with the most tokens (as every
    /// address did before slots had owners, so a flood from many addresses is held as before).
    /// </summary>
    private int SlotOf(IPAddress address, long now, out double tokens)
    {
        Owner owner = Owner.Of(address);
        Owner[] owners = _owners!;
        int set = (int)(owner.Hash() % (Slots / Ways)) * Ways;
        int shared = set;
        double sharedTokens = double.MinValue;
        int claim = -1;
        for (int i = set; i < set + Ways; i++)
        {
            double refilled = Refilled(i, now);
            if (owners[i] == owner)
            {
                tokens = refilled;
                return i;
            }

            if (claim < 0 && (owners[i].IsFree || refilled >= _burst))
            {
                claim = i;
            }

            if (refilled > sharedTokens)
            {
                (shared, sharedTokens) = (i, refilled);
            }
        }

        if (claim >= 0)
        {
            owners[claim] = owner;
            if (_dropped is not null)
            {
                _dropped[claim] = 0;
            }

            tokens = _burst;
            return claim;
        }

        tokens = sharedTokens;
        return shared;
    }

    private double Refilled(int slot, long now) =>
        Math.Min(_burst, _tokens![slot] + (_time.GetElapsedTime(_lastRefill![slot], now).TotalSeconds * _ratePerSecond));

    /// <summary>An address as a slot's owner: its bytes and family, exactly; default is a free slot.</summary>
    private readonly record struct Owner(ulong High, ulong Low, byte Family)
    {
        public bool IsFree => Family == 0;

        public static Owner Of(IPAddress address)
        {
            Span<byte> bytes = stackalloc byte[16];
            bytes.Clear();
            address.TryWriteBytes(bytes, out int written);
            return new Owner(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
                (byte)(written == 4 ? 4 : 6));
        }

        /// <summary>MurmurHash3's finalizer over the address.</summary>
        public ulong Hash() => Protocol.AddressHash.Mix(High ^ (Low * 0xC2B2AE3D27D4EB4FUL) ^ Family);
    }

    /// <summary>Counts a dropped query of <paramref name="address"/>; true when that bans it.</summary>
    private bool Dropped(IPAddress address, int slot, long now)
    {
        if (_banThreshold == 0)
        {
            return false;
        }

        int[] dropped = _dropped ??= new int[Slots];
        IPAddress?[] from = _droppedFrom ??= new IPAddress?[Slots];
        if (!address.Equals(from[slot]))
        {
            from[slot] = address; // another address of the slot: its drops are its own
            dropped[slot] = 0;
        }

        if (++dropped[slot] < _banThreshold)
        {
            return false;
        }

        dropped[slot] = 0;
        from[slot] = null;
        Dictionary<IPAddress, long> bans = _bannedUntil ??= [];
        if (bans.Count >= MaxBans)
        {
            RemoveExpiredOrSoonest(bans, now);
        }

        bans[address] = now + (long)(_banDuration.TotalSeconds * _time.TimestampFrequency);
        _bansStarted++;
        BanObserver?.OnBanned(address, _banDuration);
        return true;
    }

    private static void RemoveExpiredOrSoonest(Dictionary<IPAddress, long> bans, long now)
    {
        IPAddress? soonest = null;
        long soonestUntil = long.MaxValue;
        List<IPAddress>? expired = null;
        foreach ((IPAddress address, long until) in bans)
        {
            if (until <= now)
            {
                (expired ??= []).Add(address);
            }
            else if (until < soonestUntil)
            {
                (soonest, soonestUntil) = (address, until);
            }
        }

        if (expired is not null)
        {
            foreach (IPAddress address in expired)
            {
                bans.Remove(address);
            }
        }
        else if (soonest is not null)
        {
            bans.Remove(soonest);
        }
    }
}
