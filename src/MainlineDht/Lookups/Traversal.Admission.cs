using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Lookups;

// The candidate list: admission (ourselves, endpoints seen, the one-node-per-/24 rule), its order and
// bound, and the closest that answered.
internal sealed partial class Traversal
{
    /// <summary>Candidates a reply named that the diversity rule refused (another of their /24 or /64 was a candidate already).</summary>
    public int RefusedByDiversity { get; private set; }

    /// <summary>
    /// Adds a node to consider; its id may be unknown (a bootstrap endpoint). A node a reply named
    /// (<paramref name="depth"/> above 0) is refused when a candidate of its /24 (IPv4) or /64 (IPv6)
    /// came before it (IP diversity, libtorrent's <c>dht_restrict_search_ips</c>); starting nodes
    /// (depth 0: the routing table's, saved and bootstrap nodes) are always taken, and hold their range.
    /// <paramref name="roundTrip"/> is the round trip our routing table measured for it, if any.
    /// </summary>
    public void AddCandidate(NodeId? id, IPEndPoint endPoint, int depth, TimeSpan? roundTrip = null) =>
        AddCandidate(id, endPoint, NodeAddress.From(endPoint), depth, roundTrip);

    /// <summary>As above, with the endpoint's <paramref name="address"/> already made (a reply's compact entry gives it).</summary>
    private void AddCandidate(NodeId? id, IPEndPoint endPoint, in NodeAddress address, int depth, TimeSpan? roundTrip)
    {
        if ((id is not null && id == Self) || _seen.Contains(address))
        {
            return;
        }

        if (IpRanges.IsRestricted(endPoint.Address, _diversity))
        {
            ulong range = IpRanges.PrefixKey(endPoint.Address);
            if (!(_ranges ??= []).Add(range) && depth > 0)
            {
                RefusedByDiversity++;
                return;
            }
        }

        _seen.Add(address);

        var candidate = new Candidate(id, endPoint, depth, _nextSequence++) { RoundTrip = roundTrip };
        int index = SortedIndexOf(candidate);
        if (index >= MaxCandidates)
        {
            return; // farther than every candidate kept: it would be dropped at once
        }

        _candidates.Insert(index, candidate);
        TrimToBound();
    }

    /// <summary>The candidates in their order (nearest the target first, unknown ids last); for tests.</summary>
    internal IReadOnlyList<Candidate> Candidates => _candidates;

    /// <summary>Where <paramref name="candidate"/> belongs in the list, which is kept sorted by <see cref="Compare"/>.</summary>
    private int SortedIndexOf(Candidate candidate)
    {
        // A binary search calling Compare directly (List.BinarySearch went through a comparer
        // delegate: 2% of a simulation's time). Two candidates never compare equal (the sequence
        // breaks ties), so this is the first place whose candidate sorts after the new one.
        int low = 0, high = _candidates.Count;
        while (low < high)
        {
            int middle = (int)((uint)(low + high) >> 1);
            if (Compare(_candidates[middle], candidate) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private void TrimToBound()
    {
        if (_candidates.Count > MaxCandidates)
        {
            // Drop the farthest that is not in flight; it cannot matter once this many are closer.
            for (int i = _candidates.Count - 1; i >= K; i--)
            {
                if (_candidates[i].State != CandidateState.InFlight)
                {
                    _candidates.RemoveAt(i);
                    break;
                }
            }
        }
    }

    /// <summary>The closest nodes that answered, nearest first.</summary>
    public List<Candidate> ClosestResponded(int count) =>
        _candidates.Where(c => c.State == CandidateState.Responded && c.Id is not null).Take(count).ToList();

    /// <summary>
    /// When the <paramref name="count"/> closest nodes that answered had all answered (a timestamp of
    /// the traversal's clock); null when none answered.
    /// </summary>
    public long? ClosestAnsweredAt(int count)
    {
        long? last = null;
        int found = 0;
        foreach (Candidate c in _candidates)
        {
            if (found >= count)
            {
                break;
            }

            if (c.State == CandidateState.Responded && c.Id is not null)
            {
                found++;
                last = Math.Max(last ?? 0, c.RespondedAt);
            }
        }

        return last;
    }

    /// <summary>
    /// Of the <paramref name="count"/> closest nodes that answered, those that gave a write token,
    /// nearest first: where an announce (or a BEP 44 put) goes.
    /// </summary>
    public List<Candidate> ClosestWithToken(int count) => ClosestResponded(count).Where(c => c.Token is not null).ToList();
}
