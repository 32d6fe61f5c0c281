using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>The fixture source of every per-client fixture, and small helpers those fixtures share.</summary>
public static class Clients
{
    /// <summary>libtorrent and bittorrent-dht: each per-client fixture runs once for each.</summary>
    public static readonly object[] All = [DhtClientKind.Libtorrent, DhtClientKind.WebTorrent];

    /// <summary>libtorrent's <c>v</c>: "LT", major 2, minor 8.</summary>
    public static readonly byte[] LibtorrentVersion = [(byte)'L', (byte)'T', 2, 8];

    /// <summary>The length of the client's write tokens: libtorrent 4 bytes, bittorrent-dht a SHA-1.</summary>
    public static int TokenLength(DhtClientKind kind) => kind == DhtClientKind.Libtorrent ? 4 : 20;

    /// <summary>Fails the fixture, with what to install, when <paramref name="kind"/> cannot run here.</summary>
    public static void RequireInstalled(DhtClientKind kind)
    {
        string? problem = RealDhtClient.CheckInstalled(kind);
        if (problem is not null)
        {
            Assert.Fail($"{kind} is required by the interop suite and is missing: {problem}");
        }
    }

    /// <summary>
    /// The port a client's announce stores: bittorrent-dht announces the port it is given;
    /// libtorrent always announces its listen port, which is its DHT port.
    /// </summary>
    public static int? PortToAnnounce(RealDhtClient client) => client.Kind == DhtClientKind.WebTorrent ? 4567 : null;

    /// <summary>The peer a client's announce makes known: its address and the port it announced.</summary>
    public static IPEndPoint AnnouncedPeer(RealDhtClient client, AnnounceResult result) =>
        new(client.EndPoint.Address, result.AnnouncedPort);

    /// <summary>
    /// The peer a dual-stack libtorrent's announce makes known over <paramref name="family"/>:
    /// that family's socket, whose listen port its <c>announce_peer</c> carries.
    /// </summary>
    public static IPEndPoint AnnouncedPeer(RealDhtClient client, AddressFamily family) =>
        client.Socket(family)?.EndPoint ?? throw new InvalidOperationException($"{client.Kind} runs no {family} DHT node.");

    /// <summary>Waits until <paramref name="condition"/> holds, polling every 50 ms, for at most <paramref name="timeout"/>.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, asking every 200 ms, for at most <paramref name="timeout"/>.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }

    /// <summary>Awaits <paramref name="task"/> for at most <paramref name="timeout"/> (every wait in this suite is bounded).</summary>
    public static Task<T> Within<T>(this Task<T> task, TimeSpan timeout) => task.WaitAsync(timeout);

    /// <summary>Our node's entry in a list of nodes, or null.</summary>
    public static NodeInfo? Find(this IEnumerable<NodeInfo> nodes, DhtNode node) =>
        nodes.Where(n => n.Id == node.Id && n.EndPoint.Equals(node.LocalEndPoint)).Select(n => (NodeInfo?)n).FirstOrDefault();
}
