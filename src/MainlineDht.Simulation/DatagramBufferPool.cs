using System.Numerics;

namespace MainlineDht.Simulation;

/// <summary>
/// The buffers of datagrams in flight on a <see cref="VirtualTimeProvider"/>: one free list per
/// power-of-two size from 64 bytes to 2 KiB, each kept up to <see cref="MaxFreePerSize"/> buffers.
/// Not thread-safe (the clock calls it under its lock).
/// </summary>
/// <remarks>
/// The shared <see cref="System.Buffers.ArrayPool{T}"/> keeps a few dozen arrays of a size per core:
/// with a hundred thousand datagrams in flight nearly every rent allocated, and each array lived
/// through many collections (a datagram waits for its latency while thousands of others are handled)
/// before it was dropped in the oldest generation. Here every buffer is reused, so a simulation
/// makes no garbage for its datagrams once the most it had in flight is reached.
/// </remarks>
internal sealed class DatagramBufferPool
{
    /// <summary>Free buffers kept per size: more than the most datagrams in flight of a 1,000,000-node join.</summary>
    public const int MaxFreePerSize = 1 << 20;

    private const int SmallestShift = 6; // 64 bytes
    private const int LargestShift = 11; // 2 KiB: more than any KRPC datagram

    private readonly Stack<byte[]>[] _free = CreateFreeLists();

    /// <summary>A buffer of at least <paramref name="length"/> bytes (exactly that many when longer than 2 KiB: not pooled).</summary>
    public byte[] Rent(int length)
    {
        int shift = ShiftFor(length);
        if (shift > LargestShift)
        {
            return new byte[length];
        }

        return _free[shift - SmallestShift].TryPop(out byte[]? buffer) ? buffer : new byte[1 << shift];
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/>; one of another size is left to the collector.</summary>
    public void Return(byte[] buffer)
    {
        int length = buffer.Length;
        if (!BitOperations.IsPow2(length) || length < 1 << SmallestShift || length > 1 << LargestShift)
        {
            return;
        }

        Stack<byte[]> free = _free[BitOperations.Log2((uint)length) - SmallestShift];
        if (free.Count < MaxFreePerSize)
        {
            free.Push(buffer);
        }
    }

    /// <summary>Buffers waiting to be reused, of every size.</summary>
    public int FreeCount => _free.Sum(static f => f.Count);

    private static int ShiftFor(int length) =>
        length <= 1 << SmallestShift ? SmallestShift : BitOperations.Log2((uint)length - 1) + 1;

    private static Stack<byte[]>[] CreateFreeLists()
    {
        var lists = new Stack<byte[]>[LargestShift - SmallestShift + 1];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = new Stack<byte[]>();
        }

        return lists;
    }
}
