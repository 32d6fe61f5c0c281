using System.Net;
using System.Net.Sockets;
using MainlineDht.InteropTests.Support;
using MainlineDht.Rpc;

namespace MainlineDht.InteropTests;

/// <summary>The two layers that keep this suite on loopback, each checked on its own.</summary>
public sealed class NetworkIsolationTests
{
    // TEST-NET-1 and the IPv6 documentation prefix: addresses no one answers on.
    private static readonly IPEndPoint OutsideV4 = new(IPAddress.Parse("192.0.2.1"), 6881);
    private static readonly IPEndPoint OutsideV6 = new(IPAddress.Parse("2001:db8::1"), 6881);

    [Test]
    public void The_suite_runs_in_a_network_namespace_whose_only_interface_is_lo_with_no_routes()
    {
        Assert.That(LoopbackNamespace.Interfaces(), Is.EqualTo(new[] { "lo" }));
        Assert.That(LoopbackNamespace.MainRoutes(), Is.Empty);
        Assert.That(LoopbackNamespace.Problem(), Is.Null);
    }

    [Test]
    public void The_operating_system_refuses_every_send_outside_loopback()
    {
        // Checked first: outside the namespace these sends would leave the machine.
        Assert.That(LoopbackNamespace.Problem(), Is.Null, "not in a loopback-only namespace: nothing is sent");

        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            Assert.That(SendError(udp, OutsideV4), Is.EqualTo(SocketError.NetworkUnreachable), "UDP from an unbound socket");
        }

        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            // How our nodes and the clients send: from a socket bound to a 127.x address.
            udp.Bind(new IPEndPoint(LoopbackAddresses.Next(), 0));
            Assert.That(SendError(udp, OutsideV4), Is.AnyOf(SocketError.InvalidArgument, SocketError.NetworkUnreachable), "UDP from 127.x");
        }

        using (var udp6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp))
        {
            Assert.That(SendError(udp6, OutsideV6), Is.EqualTo(SocketError.NetworkUnreachable), "UDP over IPv6");
        }

        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            SocketException e = Assert.Throws<SocketException>(() => tcp.Connect(new IPEndPoint(OutsideV4.Address, 80)))!;
            Assert.That(e.SocketErrorCode, Is.EqualTo(SocketError.NetworkUnreachable), "TCP connect");
        }

        // Loopback still works: the same send to 127.0.0.1 goes through.
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.That(sender.SendTo("ping"u8, SocketFlags.None, receiver.LocalEndPoint!), Is.EqualTo(4));
    }

    [Test]
    public async Task Our_nodes_refuse_to_send_outside_loopback()
    {
        NetworkGuard.TakeRefused();
        await using DhtNode node = await OurNodes.StartAsync(LoopbackAddresses.Next());

        // The send policy stops it before the socket (the namespace would stop it at the socket).
        RpcResult result = await node.PingAsync(OutsideV4);

        Assert.That(result.Status, Is.EqualTo(RpcStatus.NotSent));
        Assert.That(NetworkGuard.TakeRefused(), Is.EqualTo(new[] { OutsideV4 }));
    }

    private static SocketError SendError(Socket socket, IPEndPoint destination)
    {
        try
        {
            socket.SendTo("ping"u8, SocketFlags.None, destination);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
