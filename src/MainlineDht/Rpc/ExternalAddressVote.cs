using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Rpc;

/// <summary>
/// BEP 42: learns the node's external address from the <c>ip</c> field of replies. Voters count by
/// range: all voters of one /24 (IPv4) or /64 (IPv6) cast one vote between them (a loopback, private
/// or link-local voter counts alone), so that one operator with many addresses in a few ranges cannot
/// tell us where we are. The address with most votes leads; it is <see cref="Settled"/> once
/// <see cref="SettledVotes"/> ranges voted for it. Bounded: at most <see cref="MaxCandidates"/>
/// addresses and <see cref="MaxVoters"/> voters are remembered, and the tally restarts when the voter
/// set fills (so that a changed address can win in time).
/// </summary>
internal sealed class ExternalAddressVote
{
    public const int MaxCandidates = 16;
    public const int MaxVoters = 1024;

    /// <summary>Votes from distinct ranges that settle the leader.</summary>
    public const int SettledVotes = 5;

    private readonly Dictionary<IPAddress, int> _votes = [];
    private readonly HashSet<ulong> _voterRanges = [];
    private readonly HashSet<IPAddress> _exemptVoters = [];

    /// <summary>The address with most votes; null before any vote.</summary>
    public IPAddress? Leader { get; private set; }

    /// <summary>Whether the leader has at least <see cref="SettledVotes"/> votes.</summary>
    public bool Settled => Leader is not null && _votes.GetValueOrDefault(Leader) >= SettledVotes;

    public void Add(IPAddress voter, IPAddress reported)
    {
        if (_voterRanges.Count + _exemptVoters.Count >= MaxVoters)
        {
            _voterRanges.Clear();
            _exemptVoters.Clear();
            _votes.Clear();
            Leader = null;
        }

        bool first = SecureNodeId.IsExempt(voter) ? _exemptVoters.Add(voter) : _voterRanges.Add(IpRanges.PrefixKey(voter));
        if (!first)
        {
            return;
        }

        if (!_votes.TryGetValue(reported, out int count))
        {
            if (_votes.Count >= MaxCandidates)
            {
                return;
            }
        }

        _votes[reported] = ++count;
        if (Leader is null || (!Leader.Equals(reported) && count > _votes.GetValueOrDefault(Leader)))
        {
            Leader = reported;
        }
    }
}
