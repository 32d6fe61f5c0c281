using System.Net;
using System.Net.Sockets;
using MainlineDht.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace MainlineDht.Hosting.Tests;

/// <summary>The hosted node's health check (<c>AddHealthChecks().AddMainlineDht()</c>) through the host's <see cref="HealthCheckService"/>.</summary>
[NonParallelizable]
public sealed class HealthCheckTests : LoopbackTest
{
    [Test]
    [CancelAfter(90_000)]
    public async Task A_node_whose_bootstrap_node_never_answers_is_unhealthy_then_healthy_once_a_swarm_comes_up_there()
    {
        // A free UDP port on 127.0.0.41 where nothing listens, yet.
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.41"), 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        string bootstrap = $"127.0.0.41:{port}";
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.40", bootstrap), services: s => s.AddHealthChecks().AddMainlineDht(tags: ["dht"]));
        await host.StartAsync();
        await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);
        HealthCheckService checks = host.Services.GetRequiredService<HealthCheckService>();

        // The node tries, and keeps trying: nobody answers.
        await Task.Delay(TimeSpan.FromSeconds(1));
        HealthReport before = await checks.CheckHealthAsync();
        HealthReportEntry dht = before.Entries["mainline-dht"];
        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(dht.Description, Is.EqualTo("Bootstrapping: no live node in the routing table"));
            Assert.That(dht.Data["health"], Is.EqualTo("Bootstrapping"));
            Assert.That(dht.Data["routing_table_size"], Is.EqualTo(0));
            Assert.That(dht.Data["live_nodes"], Is.EqualTo(0));
            Assert.That(dht.Tags, Is.EquivalentTo(new[] { "dht" }));
        });

        // A swarm of 11 nodes comes up, the first at the bootstrap address: the node's next try joins,
        // and it meets 8 good nodes.
        var swarm = new List<DhtNode>();
        try
        {
            DhtNode first = await DhtNode.StartAsync(new DhtNodeOptions
            {
                BindEndPoint = IPEndPoint.Parse(bootstrap),
                UsePublicRouters = false,
                SendPolicy = MainlineDht.Transport.SendPolicy.LoopbackOnly(TestHosts.Refused.Enqueue),
            });
            swarm.Add(first);
            for (int i = 42; i < 52; i++)
            {
                DhtNode node = await TestHosts.StartNodeAsync($"127.0.0.{i}", bootstrap);
                swarm.Add(node);
                await node.JoinAsync();
            }

            HealthReport after = before;
            using var patience = new CancellationTokenSource(TestHosts.Patience);
            while (after.Status != HealthStatus.Healthy && !patience.IsCancellationRequested)
            {
                await Task.Delay(200);
                after = await checks.CheckHealthAsync();
            }

            HealthReportEntry ready = after.Entries["mainline-dht"];
            Assert.Multiple(() =>
            {
                Assert.That(after.Status, Is.EqualTo(HealthStatus.Healthy), ready.Description);
                Assert.That(ready.Description, Does.StartWith("Ready: ").And.EndWith(" good nodes"));
                Assert.That(ready.Data["health"], Is.EqualTo("Ready"));
                Assert.That((int)ready.Data["good_nodes"], Is.GreaterThanOrEqualTo(8));
                Assert.That((int)ready.Data["routing_table_size"], Is.GreaterThanOrEqualTo(8));
            });
        }
        finally
        {
            await host.StopAsync().WaitAsync(TestHosts.Patience);
            await Task.WhenAll(swarm.Select(n => n.DisposeAsync().AsTask()));
        }

        HealthReport stopped = await checks.CheckHealthAsync();
        Assert.That(stopped.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(stopped.Entries["mainline-dht"].Description, Is.EqualTo("the DHT node is not running"));
    }

    [Test]
    public async Task The_failure_status_is_the_registrations()
    {
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.52"), services: s => s.AddHealthChecks().AddMainlineDht("dht", HealthStatus.Degraded));
        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.That(report.Entries["dht"].Status, Is.EqualTo(HealthStatus.Degraded), "not started: the registration's failure status");
        Assert.That(report.Entries["dht"].Description, Is.EqualTo("the DHT node is not running"));
    }
}
