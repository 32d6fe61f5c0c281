using System.Net;
using System.Net.Sockets;
using MainlineDht.Hosting.Internal;
using MainlineDht.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MainlineDht.Hosting.Tests;

/// <summary>
/// <see cref="MainlineDhtOptions.BindAddressV6"/>: the hosted node runs on both families (BEP 32), on
/// 127.0.0.x and <c>::1</c> only.
/// </summary>
public sealed class DualStackHostingTests : LoopbackTest
{
    private static readonly string Category = typeof(DhtNodeHostedService).FullName!;

    [Test]
    public async Task A_host_with_BindAddressV6_runs_on_both_families_and_another_joins_it_over_IPv6_alone()
    {
        var firstLogs = new LogCollector();
        using IHost first = TestHosts.Build(o =>
        {
            TestHosts.Loopback("127.0.0.40")(o);
            o.BindAddressV6 = "::1";
        }, firstLogs);
        await first.StartAsync();
        DhtNode firstNode = await first.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);

        IPEndPoint firstV6 = firstNode.LocalEndPointV6!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstNode.LocalEndPoint.Address, Is.EqualTo(IPAddress.Parse("127.0.0.40")));
            Assert.That(firstV6, Is.Not.Null);
            Assert.That(firstV6.Address, Is.EqualTo(IPAddress.IPv6Loopback));
            Assert.That(firstLogs.Records.Single(r => r.EventId.Id == Log.NodeStartedId).Message,
                Does.Contain($"started on {firstNode.LocalEndPoint} and {firstV6}"));
        }

        // The second runs IPv6 alone (BindAddress empty) and is told only of the first's [::1] endpoint.
        using IHost second = TestHosts.Build(o =>
        {
            TestHosts.Loopback("", firstV6.ToString())(o);
            o.BindAddressV6 = "::1";
        });
        await second.StartAsync();
        DhtNode secondNode = await second.Services.GetRequiredService<IDhtNodeAccessor>().GetJoinedNodeAsync().WaitAsync(TestHosts.Patience);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(secondNode.LocalEndPoint.AddressFamily, Is.EqualTo(AddressFamily.InterNetworkV6), "no IPv4 socket");
            Assert.That(secondNode.GetRoutingTable().Select(e => (e.Id, e.EndPoint)), Does.Contain((firstNode.Id, firstV6)));
            Assert.That(secondNode.GetStatistics().RoutingTableSizeV6, Is.EqualTo(1));
        }

        // The first keeps the second in its IPv6 table (a querier that answered its verification ping).
        Assert.That(await UntilAsync(() => firstNode.GetRoutingTable().Any(e => e.Id == secondNode.Id && e.EndPoint.Equals(secondNode.LocalEndPoint))), Is.True);
        Assert.That(firstNode.GetStatistics().RoutingTableSizeV4, Is.Zero);

        await second.StopAsync().WaitAsync(TestHosts.Patience);
        await first.StopAsync().WaitAsync(TestHosts.Patience);
    }

    private static async Task<bool> UntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TestHosts.Patience;
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
}
