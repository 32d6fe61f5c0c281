using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.Tests.Support;

/// <summary>
/// A bare UDP socket on loopback that sends hand-made datagrams to one node and reads its raw
/// replies: the byte-level view a real client has of our node.
/// </summary>
public sealed class RawKrpcClient : IDisposable
{
    private readonly Socket _socket;

    public RawKrpcClient(IPAddress? bind = null)
    {
        bind ??= IPAddress.Loopback;
        if (!IPAddress.IsLoopback(bind))
        {
            throw new ArgumentException("Test clients bind to loopback only.", nameof(bind));
        }

        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Send(byte[] datagram, IPEndPoint destination)
    {
        if (!IPAddress.IsLoopback(destination.Address))
        {
            throw new InvalidOperationException($"Refusing to send outside loopback: {destination}");
        }

        _socket.SendTo(datagram, destination);
    }

    /// <summary>Receives one datagram, or null when none arrives within <paramref name="timeout"/>.</summary>
    public byte[]? Receive(TimeSpan timeout)
    {
        if (!_socket.Poll(timeout, SelectMode.SelectRead))
        {
            return null;
        }

        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        int n = _socket.ReceiveFrom(buffer, ref from);
        return buffer[..n];
    }

    /// <summary>Sends and waits for one reply, decoded; fails the test when none comes.</summary>
    /// <remarks>
    /// Queries the node sends us meanwhile (it verifies new queriers with a ping) are skipped. With
    /// <paramref name="resendEvery"/>, the datagram is sent again at that interval until a reply comes
    /// or <paramref name="timeout"/> passes (UDP may drop it, for example when the node's socket buffer is full).
    /// </remarks>
    public KrpcMessage Exchange(byte[] datagram, IPEndPoint destination, TimeSpan? timeout = null, TimeSpan? resendEvery = null)
    {
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(5);
        TimeSpan interval = resendEvery ?? limit;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (elapsed.Elapsed < limit)
        {
            Send(datagram, destination);
            var sent = System.Diagnostics.Stopwatch.StartNew();
            for (byte[]? reply = Receive(interval); reply is not null; reply = Receive(interval - sent.Elapsed > TimeSpan.Zero ? interval - sent.Elapsed : TimeSpan.Zero))
            {
                KrpcMessage message = KrpcCodec.Decode(reply);
                if (message is not KrpcQuery)
                {
                    return message;
                }
            }
        }

        Assert.Fail("no reply from the node");
        throw new UnreachableException();
    }

    public void Dispose() => _socket.Dispose();
}
