namespace MainlineDht.PeerWire.Download;

/// <summary>What <see cref="PiecePicker.TryClaim"/> found for a peer.</summary>
internal enum ClaimResult
{
    /// <summary>A piece is now the peer's to fetch.</summary>
    Claimed,
    /// <summary>The peer has pieces still needed, but other peers are fetching them all: wait for a change.</summary>
    AllTaken,
    /// <summary>The peer has none of the pieces still needed (or only ones it already failed).</summary>
    NothingNeeded,
    /// <summary>Every piece is verified.</summary>
    Finished,
}

/// <summary>
/// Which pieces are still needed and which peer fetches each: a piece is claimed by one peer at
/// a time, lowest index first; a piece that failed or whose peer left goes back to the pool.
/// Shared by every peer of one download (thread-safe).
/// </summary>
internal sealed class PiecePicker
{
    private readonly Lock _gate = new();
    private readonly SortedSet<int> _available = [];   // needed and claimed by nobody
    private readonly SortedSet<int> _unverified = [];  // needed (claimed or not)
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PiecePicker(int pieceCount)
    {
        PieceCount = pieceCount;
        for (int i = 0; i < pieceCount; i++)
        {
            _available.Add(i);
            _unverified.Add(i);
        }
    }

    public int PieceCount { get; }

    /// <summary>Set whenever a piece goes back to the pool or is verified: parked peers look again.</summary>
    public AsyncSignal Changed { get; } = new();

    /// <summary>Completes when every piece is verified.</summary>
    public Task Finished => _finished.Task;

    public int VerifiedCount
    {
        get
        {
            lock (_gate)
            {
                return PieceCount - _unverified.Count;
            }
        }
    }

    /// <summary>Claims the lowest needed piece that <paramref name="has"/> and that is not in <paramref name="failed"/>.</summary>
    public ClaimResult TryClaim(Func<int, bool> has, IReadOnlySet<int> failed, out int piece)
    {
        lock (_gate)
        {
            piece = -1;
            if (_unverified.Count == 0)
            {
                return ClaimResult.Finished;
            }

            foreach (int candidate in _available)
            {
                if (has(candidate) && !failed.Contains(candidate))
                {
                    piece = candidate;
                    break;
                }
            }

            if (piece >= 0)
            {
                _available.Remove(piece);
                return ClaimResult.Claimed;
            }

            foreach (int needed in _unverified)
            {
                if (has(needed) && !failed.Contains(needed))
                {
                    return ClaimResult.AllTaken;
                }
            }

            return ClaimResult.NothingNeeded;
        }
    }

    /// <summary>Gives a claimed piece back (its peer failed it, left or was choked).</summary>
    public void Release(int piece)
    {
        lock (_gate)
        {
            if (_unverified.Contains(piece))
            {
                _available.Add(piece);
            }
        }

        Changed.Set();
    }

    /// <summary>Records a verified, written piece; returns how many are verified.</summary>
    public int Verified(int piece)
    {
        int verified;
        lock (_gate)
        {
            _unverified.Remove(piece);
            _available.Remove(piece);
            verified = PieceCount - _unverified.Count;
            if (_unverified.Count == 0)
            {
                _finished.TrySetResult();
            }
        }

        Changed.Set();
        return verified;
    }
}
