using System.Net;
using MainlineDht.InteropTests.Support;
using MainlineDht.Rpc;

namespace MainlineDht.InteropTests;

/// <summary>The two layers that keep this suite on loopback, each checked on its own.</summary>
public sealed class NetworkIsolationTests
{
    [Test]
    public void The_suite_runs_in_a_network_namespace_whose_only_interface_is_lo_with_no_routes()
    {
        Assert.That(LoopbackNamespace.Interfaces(), Is.EqualTo(new[] { "lo" }));
        Assert.That(LoopbackNamespace.MainRoutes(), Is.Empty);
        Assert.That(LoopbackNamespace.Problem(), Is.Null);
    }

    [Test]
    public async Task Our_nodes_refuse_to_send_outside_loopback()
    {
        NetworkGuard.TakeRefused();
        await using DhtNode node = await OurNodes.StartAsync(LoopbackAddresses.Next());

        // 192.0.2.1 is TEST-NET-1 (documentation only): the send policy stops it before the socket.
        var outside = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881);
        RpcResult result = await node.PingAsync(outside);

        Assert.That(result.Status, Is.EqualTo(RpcStatus.NotSent));
        Assert.That(NetworkGuard.TakeRefused(), Is.EqualTo(new[] { outside }));
    }
}
