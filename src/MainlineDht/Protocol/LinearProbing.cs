namespace MainlineDht.Protocol;

/// <summary>
/// The one subtle rule of the node's open-addressing tables (linear probing over a power-of-two
/// array: the routing table's endpoint index, the transaction table), kept in one place.
/// </summary>
internal static class LinearProbing
{
    /// <summary>
    /// Backward-shift deletion: whether the entry at <paramref name="slot"/>, whose home slot is
    /// <paramref name="home"/>, must stay where it is when <paramref name="hole"/> (earlier in the same
    /// cluster, wrapping around) is emptied — true when its home lies after the hole, up to the slot;
    /// otherwise it moves into the hole so that probes from its home still reach it.
    /// </summary>
    public static bool Stays(int hole, int slot, int home) =>
        hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
}
