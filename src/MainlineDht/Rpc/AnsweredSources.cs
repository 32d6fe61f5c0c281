using System.Buffers.Binary;
using System.Net;

namespace MainlineDht.Rpc;

/// <summary>
/// The endpoints that answered one of our queries lately, whether or not the routing table keeps
/// them: a source that answered at its address is no spoofed one, and counts as verified for the
/// amplification limit and the reply budget (<see cref="ReplyBandwidth"/>) for <see cref="Lifetime"/>
/// after its last answer. Also when we last pinged an endpoint to verify it, so that a source that
/// never answers (a spoofed one) is pinged at most once per <see cref="PingInterval"/>. A fixed table
/// of <see cref="Slots"/> entries of 32 bytes (128 KB) in sets of eight: memory does not grow with the
/// number of sources. A newcomer takes a free entry of its set, else the one worth least: one that never
/// answered (or whose answer has lapsed), the stalest first; an endpoint that answered lately gives way
/// only to another when its whole set answered, so a flood of sources that never answer cannot push the
/// verified ones out. Times are kept in whole seconds. Not thread-safe: the node's gate serializes access.
/// </summary>
internal sealed class AnsweredSources
{
    /// <summary>How many endpoints the table holds.</summary>
    public const int Slots = 4096;

    /// <summary>How long an answer keeps its endpoint verified (libtorrent's good node: 15 minutes).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    /// <summary>How long after a verification ping an endpoint that did not answer may be pinged again.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromMinutes(1);

    private const int Ways = 8;

    private readonly Entry[] _entries = new Entry[Slots];
    private readonly TimeProvider _time;
    private readonly long _epoch;

    public AnsweredSources(TimeProvider time)
    {
        _time = time;
        _epoch = time.GetTimestamp();
    }

    /// <summary>Whether <paramref name="endPoint"/> answered one of our queries within <see cref="Lifetime"/>.</summary>
    public bool HasAnswered(IPEndPoint endPoint)
    {
        int slot = Find(KeyOf(endPoint));
        return slot >= 0 && IsFresh(_entries[slot], Now());
    }

    /// <summary>Notes that <paramref name="endPoint"/> answered one of our queries now.</summary>
    public void NoteAnswer(IPEndPoint endPoint)
    {
        uint now = Now();
        _entries[FindOrTake(KeyOf(endPoint), now)].Answered = now;
    }

    /// <summary>
    /// True when <paramref name="endPoint"/> may be pinged to verify it (not pinged within
    /// <see cref="PingInterval"/>), and notes the ping; false when it was pinged lately.
    /// </summary>
    public bool TryNotePing(IPEndPoint endPoint)
    {
        uint now = Now();
        ref Entry entry = ref _entries[FindOrTake(KeyOf(endPoint), now)];
        if (entry.Pinged != 0 && now - entry.Pinged < (uint)PingInterval.TotalSeconds)
        {
            return false;
        }

        entry.Pinged = now;
        return true;
    }

    /// <summary>Seconds since the table was made, from 1 (0 marks "never").</summary>
    private uint Now() => 1 + (uint)_time.GetElapsedTime(_epoch).TotalSeconds;

    private static bool IsFresh(in Entry entry, uint now) => entry.Answered != 0 && now - entry.Answered <= (uint)Lifetime.TotalSeconds;

    private int Find(Key key)
    {
        int set = SetOf(key);
        for (int i = set; i < set + Ways; i++)
        {
            if (_entries[i].Key == key && _entries[i].InUse)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The slot of <paramref name="key"/>: its own, or a free one or the one worth least of its set, cleared for it.</summary>
    private int FindOrTake(Key key, uint now)
    {
        int found = Find(key);
        if (found >= 0)
        {
            return found;
        }

        int set = SetOf(key);
        int victim = -1;
        for (int i = set; i < set + Ways; i++)
        {
            if (!_entries[i].InUse)
            {
                victim = i;
                break;
            }

            if (victim < 0 || Worth(_entries[i], now) < Worth(_entries[victim], now))
            {
                victim = i;
            }
        }

        _entries[victim] = new Entry { Key = key };
        return victim;

        // A lately answered endpoint above every other; within each kind, the stalest lowest.
        static long Worth(in Entry entry, uint now) => (IsFresh(entry, now) ? 1L << 32 : 0) + Math.Max(entry.Answered, entry.Pinged);
    }

    private static int SetOf(Key key) => (int)(Protocol.AddressHash.Of(key.High, key.Low, key.Port) % (Slots / Ways)) * Ways;

    /// <summary>The endpoint as its address in IPv6 form (an IPv4 address mapped) and its port.</summary>
    private static Key KeyOf(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        IPAddress address = endPoint.Address;
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            bytes[10] = bytes[11] = 0xFF;
            address.TryWriteBytes(bytes[12..], out _);
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
        }

        return new Key(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), (ushort)endPoint.Port);
    }

    private readonly record struct Key(ulong High, ulong Low, ushort Port);

    private struct Entry
    {
        public Key Key;
        public uint Answered;
        public uint Pinged;

        public readonly bool InUse => Answered != 0 || Pinged != 0;
    }
}
