using System.Net;

namespace MainlineDht.Rpc;

/// <summary>
/// BEP 42: learns the node's external address from the <c>ip</c> field of replies. Each distinct
/// voter counts once per address; the address with most votes wins. Bounded: at most
/// <see cref="MaxCandidates"/> addresses and <see cref="MaxVoters"/> voters are remembered, and the
/// tally restarts when the voter set fills.
/// </summary>
internal sealed class ExternalAddressVote
{
    public const int MaxCandidates = 16;
    public const int MaxVoters = 1024;

    private readonly Dictionary<IPAddress, int> _votes = [];
    private readonly HashSet<IPAddress> _voters = [];

    public IPAddress? Leader { get; private set; }

    public void Add(IPAddress voter, IPAddress reported)
    {
        if (_voters.Count >= MaxVoters)
        {
            _voters.Clear();
            _votes.Clear();
        }

        if (!_voters.Add(voter))
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
