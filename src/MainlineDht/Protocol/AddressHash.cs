namespace MainlineDht.Protocol;

/// <summary>
/// The 64-bit hash the node's fixed-size address tables (senders, answered endpoints, per-IP rate
/// buckets) pick their slots with: the key's words combined, then MurmurHash3's 64-bit finalizer.
/// </summary>
internal static class AddressHash
{
    /// <summary>Three words of a key (an address in two, the port or family in the third) as one hash.</summary>
    public static ulong Of(ulong a, ulong b, ulong c) => Mix((a ^ (b * 0xC2B2AE3D27D4EB4FUL)) ^ (c * 0x165667B19E3779F9UL));

    /// <summary>MurmurHash3's 64-bit finalizer (fmix64): every bit of <paramref name="h"/> reaches every bit of the result.</summary>
    public static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }
}
