using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using MainlineDht.Protocol;

namespace MainlineDht.Rpc;

/// <summary>
/// BEP 42: learns the node's external address from the <c>ip</c> field of replies. Voters count by
/// range: all voters of one /24 (IPv4) or /64 (IPv6) cast one vote between them (a loopback, private
/// or link-local voter counts alone), so that one operator with many addresses in a few ranges cannot
/// tell us where we are. The address with most votes leads; it is <see cref="Settled"/> once
/// <see cref="SettledVotes"/> ranges voted for it. Bounded and small (a node keeps one per address
/// family; a simulation keeps one per node): at most <see cref="MaxCandidates"/> addresses, and the
/// voters of a tally as bits of a 1,024-bit filter, as libtorrent's voter does. After
/// <see cref="MaxVoters"/> distinct voters the tally restarts, so that a changed address can win in
/// time; the leader stays until a vote of the new tally names another.
/// </summary>
/// <remarks>
/// The filter may take a new voter for one it has seen (about 1 in 20 by the end of a tally): that
/// voter's vote is not counted, which costs a tally a little time and never adds a vote.
/// </remarks>
internal sealed class ExternalAddressVote
{
    public const int MaxCandidates = 16;

    /// <summary>Distinct voters (ranges, or exempt addresses) a tally takes before it restarts.</summary>
    public const int MaxVoters = 128;

    /// <summary>Votes from distinct ranges that settle the leader.</summary>
    public const int SettledVotes = 5;

    private VoterFilter _voters;
    private int _voterCount;
    private IPAddress[] _candidates = [];
    private int[] _counts = [];
    private int _candidateCount;

    /// <summary>The address with most votes; null before any vote.</summary>
    public IPAddress? Leader { get; private set; }

    /// <summary>Distinct voters counted in the current tally.</summary>
    internal int VoterCount => _voterCount;

    /// <summary>Whether the leader has at least <see cref="SettledVotes"/> votes in the current tally.</summary>
    public bool Settled => Leader is not null && CountOf(Leader) >= SettledVotes;

    public void Add(IPAddress voter, IPAddress reported)
    {
        if (IsNewVoter(voter))
        {
            Count(reported);
        }
    }

    /// <summary>
    /// <see cref="Add(IPAddress, IPAddress)"/> with a reply's <c>ip</c> field as it came (a compact
    /// address and port, 6 or 18 bytes): the address is made only when the voter has not voted yet.
    /// </summary>
    public void Add(IPAddress voter, ReadOnlySpan<byte> compactEndPoint)
    {
        if (compactEndPoint.Length is not (CompactFormat.PeerV4Size or CompactFormat.PeerV6Size))
        {
            throw new ArgumentException("A compact endpoint is 6 or 18 bytes.", nameof(compactEndPoint));
        }

        if (IsNewVoter(voter))
        {
            Count(new IPAddress(compactEndPoint[..^2]));
        }
    }

    /// <summary>Counts the voter in the tally (a new tally after <see cref="MaxVoters"/>); false when it has voted in this one.</summary>
    private bool IsNewVoter(IPAddress voter)
    {
        if (_voterCount >= MaxVoters)
        {
            _voters = default;
            _voterCount = 0;
            _candidateCount = 0;
            Array.Clear(_candidates);
        }

        if (!_voters.Add(VoterKey(voter)))
        {
            return false;
        }

        _voterCount++;
        return true;
    }

    private void Count(IPAddress reported)
    {
        int i = IndexOf(reported);
        if (i < 0)
        {
            if (_candidateCount >= MaxCandidates)
            {
                return;
            }

            if (_candidateCount == _candidates.Length)
            {
                int size = Math.Min(MaxCandidates, Math.Max(2, _candidates.Length * 2));
                Array.Resize(ref _candidates, size);
                Array.Resize(ref _counts, size);
            }

            i = _candidateCount++;
            _candidates[i] = reported;
            _counts[i] = 0;
        }

        int count = ++_counts[i];
        if (Leader is null || (!Leader.Equals(reported) && count > CountOf(Leader)))
        {
            Leader = reported;
        }
    }

    private int IndexOf(IPAddress address)
    {
        for (int i = 0; i < _candidateCount; i++)
        {
            if (_candidates[i].Equals(address))
            {
                return i;
            }
        }

        return -1;
    }

    private int CountOf(IPAddress address) => IndexOf(address) is int i and >= 0 ? _counts[i] : 0;

    /// <summary>The voter's identity: its range, or for an exempt (loopback, private, link-local) voter the whole address.</summary>
    private static ulong VoterKey(IPAddress voter)
    {
        if (!SecureNodeId.IsExempt(voter))
        {
            return AddressHash.Of(IpRanges.PrefixKey(voter), 0, 1);
        }

        Span<byte> b = stackalloc byte[16];
        voter.TryWriteBytes(b, out int length);
        return length == 4
            ? AddressHash.Of(BinaryPrimitives.ReadUInt32BigEndian(b), 0, 2)
            : AddressHash.Of(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), 3);
    }

    /// <summary>1,024 bits, two per voter, inline in the vote (no array).</summary>
    [InlineArray(16)]
    private struct VoterFilter
    {
        private ulong _word;

        /// <summary>Sets the key's two bits; false when both were set already (a voter seen, or taken for one).</summary>
        public bool Add(ulong key)
        {
            int a = (int)(key & 1023), b = (int)((key >> 10) & 1023);
            ulong maskA = 1UL << (a & 63), maskB = 1UL << (b & 63);
            bool seen = (this[a >> 6] & maskA) != 0 && (this[b >> 6] & maskB) != 0;
            this[a >> 6] |= maskA;
            this[b >> 6] |= maskB;
            return !seen;
        }
    }
}
