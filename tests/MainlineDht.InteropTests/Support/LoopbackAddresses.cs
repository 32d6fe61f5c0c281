using System.Net;

namespace MainlineDht.InteropTests.Support;

/// <summary>
/// Hands out distinct 127.0.x.y addresses, one per node (ours and the clients'), so that no
/// per-IP limit of any client (one node per IP in a routing table, per-IP rate limits, tokens
/// bound to an IP) ever sees two nodes as one. Every 127.x.y.z works on <c>lo</c>.
/// </summary>
public static class LoopbackAddresses
{
    private static int _next = 1; // 127.0.0.1 is left alone

    /// <summary>
    /// <c>::1</c>, the only IPv6 loopback address: every IPv6 node of a run, ours and the
    /// clients', shares it and differs by port alone. Per-IP rules see them all as one IP:
    /// libtorrent's harness turns its own off (one node per IP — per /64 for IPv6 — in a routing
    /// table, 5 packets/s per IP), and tests of our IPv6 engine must not trip ours.
    /// </summary>
    public static IPAddress IPv6 => IPAddress.IPv6Loopback;

    /// <summary>A loopback address no other node of this run uses.</summary>
    public static IPAddress Next()
    {
        while (true)
        {
            int n = Interlocked.Increment(ref _next);
            if (n >= 1 << 16)
            {
                throw new InvalidOperationException("Ran out of 127.0.x.y addresses.");
            }

            int x = n >> 8, y = n & 0xff;
            if (y is not 0 and not 255)
            {
                return new IPAddress([127, 0, (byte)x, (byte)y]);
            }
        }
    }
}
