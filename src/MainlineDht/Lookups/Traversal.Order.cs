using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

// Which candidate is asked next, when the traversal is done, and the order of the candidate list.
internal sealed partial class Traversal
{
    /// <summary>
    /// The closest candidate not yet asked, if it is among the K closest still worth asking (and, with
    /// <see cref="LookupOptions.CloserThanThirdResponder"/>, closer than the third-closest responder).
    /// With <see cref="LookupOptions.PreferShortRoundTrip"/>, of the candidates not yet asked in the
    /// nearest distance bucket (bits shared with the target), the one with the shortest measured round trip.
    /// </summary>
    private Candidate? NextCandidate()
    {
        int usable = 0, responded = 0;
        Candidate? best = null;
        int bestBucket = 0;
        foreach (Candidate c in _candidates)
        {
            if (c.State == CandidateState.Failed || (c.State == CandidateState.InFlight && c.Slow))
            {
                continue;
            }

            if (usable++ >= K)
            {
                break;
            }

            if (c.State == CandidateState.Responded)
            {
                if (_narrow && ++responded >= NarrowResponders)
                {
                    break;
                }

                continue;
            }

            if (c.State != CandidateState.New)
            {
                continue;
            }

            if (!_preferShortRoundTrip)
            {
                return c;
            }

            // The list is sorted by distance, so buckets only grow farther from here on.
            int bucket = DistanceBucket(c);
            if (best is null)
            {
                (best, bestBucket) = (c, bucket);
            }
            else if (bucket != bestBucket)
            {
                break;
            }
            else if (c.RoundTrip is TimeSpan rtt && (best.RoundTrip is not TimeSpan bestRtt || rtt < bestRtt))
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>Bits the candidate's id shares with the target (more is nearer); -1 for an unknown id.</summary>
    private int DistanceBucket(Candidate c) => c.Id is NodeId id ? _target.CommonPrefixLength(id) : -1;

    /// <summary>
    /// Done when the K closest candidates that are still responsive (not failed, not slow) have all
    /// answered (the three closest, with <see cref="LookupOptions.CloserThanThirdResponder"/>). A slow node is not waited for; if it answers before the end, its nodes still count.
    /// </summary>
    private bool IsDone()
    {
        int usable = 0;
        foreach (Candidate c in _candidates)
        {
            if (c.State == CandidateState.Failed || (c.State == CandidateState.InFlight && c.Slow))
            {
                continue;
            }

            if (c.State != CandidateState.Responded)
            {
                return false;
            }

            // With the narrow rule, nothing is asked beyond the third-closest responder: done there.
            if (++usable >= K || (_narrow && usable >= NarrowResponders))
            {
                return true;
            }
        }

        // Fewer than K responsive nodes exist: done when nothing is left to ask or waiting.
        return true;
    }

    private int Compare(Candidate a, Candidate b)
    {
        if (a.Id is NodeId x && b.Id is NodeId y)
        {
            int c = _target.CompareDistance(x, y);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        }

        // Unknown ids (bootstrap endpoints) sort after known ones, in the order they were added.
        return a.Id is null && b.Id is null ? a.Sequence.CompareTo(b.Sequence) : a.Id is null ? 1 : -1;
    }
}
