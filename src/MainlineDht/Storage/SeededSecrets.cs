using System.Buffers.Binary;

namespace MainlineDht.Storage;

/// <summary>
/// Reproducible token secrets for a node given a seed (tests, simulations): SplitMix64 over the seed.
/// Not for a node on the network, which draws its secrets from <c>RandomNumberGenerator</c>. A seeded
/// <see cref="Random"/> did the same for ~330 bytes a node (its seeded form keeps 56 ints); this is
/// 8 bytes inside the <see cref="WriteTokenManager"/>. A struct: keep it in a field or a local.
/// </summary>
internal struct SeededSecrets(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Fills <paramref name="destination"/> with the next bytes of the sequence.</summary>
    public void Fill(Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[sizeof(ulong)];
        while (!destination.IsEmpty)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Next());
            int n = Math.Min(word.Length, destination.Length);
            word[..n].CopyTo(destination);
            destination = destination[n..];
        }
    }

    private ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
