namespace MainlineDht.Storage;

/// <summary>What <see cref="PeerStore.Announce"/> did with an announce.</summary>
internal enum AnnounceOutcome
{
    /// <summary>A new peer was stored for an infohash already held.</summary>
    Added,

    /// <summary>
    /// A peer with the same IP address was already stored: its port, seed flag and announce time
    /// were updated (one entry per IP, as BEP 33 requires).
    /// </summary>
    Refreshed,

    /// <summary>The first peer of an infohash not held before was stored.</summary>
    AddedInfoHash,

    /// <summary>
    /// The infohash was at its peer bound: the least recently announced peer was dropped and the new
    /// one stored.
    /// </summary>
    ReplacedOldestPeer,

    /// <summary>
    /// The store was at its infohash bound: the stored infohash with the fewest peers, which had a
    /// single peer or none alive, was dropped, and this one stored with its first peer.
    /// </summary>
    ReplacedInfoHash,

    /// <summary>
    /// The store was at its infohash bound and the stored infohash with the fewest peers has two or
    /// more, some alive: nothing was stored.
    /// </summary>
    RefusedStoreFull,

    /// <summary>Port 0, or an unspecified, multicast or broadcast address: nothing was stored.</summary>
    RefusedInvalidPeer,
}

/// <summary>Helpers for <see cref="AnnounceOutcome"/>.</summary>
internal static class AnnounceOutcomeExtensions
{
    /// <summary>True when the announced peer is now in the store.</summary>
    public static bool IsStored(this AnnounceOutcome outcome) =>
        outcome is not (AnnounceOutcome.RefusedStoreFull or AnnounceOutcome.RefusedInvalidPeer);
}
