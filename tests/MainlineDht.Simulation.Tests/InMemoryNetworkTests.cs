using System.Net;
using MainlineDht.Rpc;
using MainlineDht.Transport;

namespace MainlineDht.Simulation.Tests;

/// <summary>The in-memory datagram network: latency, loss, endpoints, send policy, and nodes on it.</summary>
public sealed class InMemoryNetworkTests
{
    private static readonly IPEndPoint A = new(IPAddress.Parse("127.0.0.1"), 6881);
    private static readonly IPEndPoint B = new(IPAddress.Parse("127.0.0.2"), 6881);
    private static readonly IPEndPoint C = new(IPAddress.Parse("127.0.0.3"), 6881);

    [Test]
    public async Task ADatagram_ArrivesAfterItsLatency_NeverInsideTheSendCall_FromTheSendersEndPoint()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1)) { Latency = static (_, _) => TimeSpan.FromMilliseconds(30) };
        await using InMemoryTransport a = network.CreateTransport(A);
        await using InMemoryTransport b = network.CreateTransport(B);
        var received = new Recorder(clock);
        b.Start(received);

        Assert.That(a.TrySend("hello"u8, B), Is.True);
        Assert.That(received.Datagrams, Is.Empty, "not delivered inside the send call");
        clock.Advance(TimeSpan.FromMilliseconds(29));
        Assert.That(received.Datagrams, Is.Empty, "not before the latency");
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(received.Datagrams, Is.EqualTo(new[] { ("hello", A, TimeSpan.FromMilliseconds(30)) }));
            Assert.That(network.Sent, Is.EqualTo(1));
            Assert.That(network.Delivered, Is.EqualTo(1));
            Assert.That(network.Lost, Is.Zero);
        });
    }

    [Test]
    public async Task Deliveries_RunInDueOrder_WithTheLatencyOfEachLink()
    {
        var clock = new VirtualTimeProvider();
        var links = new List<(IPEndPoint From, IPEndPoint To)>();
        var network = new InMemoryNetwork(clock, new Random(1))
        {
            Latency = (from, to) =>
            {
                links.Add((from, to));
                return TimeSpan.FromMilliseconds(from.Equals(A) ? 50 : 10);
            },
        };
        await using InMemoryTransport a = network.CreateTransport(A);
        await using InMemoryTransport b = network.CreateTransport(B);
        await using InMemoryTransport c = network.CreateTransport(C);
        var received = new Recorder(clock);
        c.Start(received);

        a.TrySend("from a"u8, C);
        b.TrySend("from b"u8, C);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(received.Datagrams, Is.EqualTo(new[] { ("from b", B, TimeSpan.FromMilliseconds(10)), ("from a", A, TimeSpan.FromMilliseconds(50)) }));
            Assert.That(links, Is.EqualTo(new[] { (A, C), (B, C) }), "the latency is asked per datagram, from sender to destination");
        });
    }

    [Test]
    public void Loss_DropsThatShareOfDatagrams_TheSameOnesForTheSameSeed()
    {
        List<string> Run(int seed)
        {
            var clock = new VirtualTimeProvider();
            var network = new InMemoryNetwork(clock, new Random(seed)) { LossRate = 0.5 };
            InMemoryTransport a = network.CreateTransport(A);
            InMemoryTransport b = network.CreateTransport(B);
            var received = new Recorder(clock);
            b.Start(received);
            for (int i = 0; i < 1000; i++)
            {
                Assert.That(a.TrySend(System.Text.Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), B), Is.True, "a lost datagram counts as sent, as with UDP");
            }

            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.That(network.Lost + network.Delivered, Is.EqualTo(1000));
            Assert.That(network.Delivered, Is.EqualTo(received.Datagrams.Count));
            return received.Datagrams.Select(d => d.Text).ToList();
        }

        List<string> first = Run(5);
        Assert.Multiple(() =>
        {
            Assert.That(first, Has.Count.InRange(400, 600));
            Assert.That(Run(5), Is.EqualTo(first));
            Assert.That(Run(6), Is.Not.EqualTo(first));
        });
    }

    [Test]
    public void LossRate_OutsideZeroToOne_IsRefused()
    {
        var network = new InMemoryNetwork(new VirtualTimeProvider(), new Random(1));
        Assert.Multiple(() =>
        {
            Assert.That(() => network.LossRate = 1.5, Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => network.LossRate = -0.1, Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => network.LossRate = double.NaN, Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public async Task ADatagramToNobody_IsSentAndNeverDelivered()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        await using InMemoryTransport a = network.CreateTransport(A);

        Assert.That(a.TrySend("x"u8, B), Is.True);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(network.Sent, Is.EqualTo(1));
            Assert.That(network.Delivered, Is.Zero);
            Assert.That(clock.PendingEvents, Is.Zero);
        });
    }

    [Test]
    public async Task ADisposedTransport_SendsNothing_LosesWhatWasInFlight_AndFreesItsEndPoint()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        await using InMemoryTransport a = network.CreateTransport(A);
        InMemoryTransport b = network.CreateTransport(B);
        var received = new Recorder(clock);
        b.Start(received);

        Assert.That(() => network.CreateTransport(B), Throws.InvalidOperationException, "the endpoint is taken");
        a.TrySend("in flight"u8, B);
        await b.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(b.TrySend("x"u8, A), Is.False);
        Assert.That(received.Datagrams, Is.Empty);

        await using InMemoryTransport again = network.CreateTransport(B);
        var later = new Recorder(clock);
        again.Start(later);
        a.TrySend("to the new one"u8, B);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(later.Datagrams.Select(d => d.Text), Is.EqualTo(new[] { "to the new one" }));
    }

    [Test]
    public async Task TheSendPolicy_RefusesADestination_BeforeTheNetworkSeesIt()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        var refused = new List<IPEndPoint>();
        await using InMemoryTransport a = network.CreateTransport(A, SendPolicy.LoopbackOnly(refused.Add));
        var outside = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881);

        Assert.Multiple(() =>
        {
            Assert.That(a.TrySend("x"u8, outside), Is.False);
            Assert.That(refused, Is.EqualTo(new[] { outside }));
            Assert.That(network.Sent, Is.Zero);
        });
    }

    [Test]
    public async Task StartNode_RunsANodeOnTheNetworksClock_APingTakesTwoLatencies()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1)) { Latency = static (_, _) => TimeSpan.FromMilliseconds(25) };
        await using DhtNode a = network.StartNode(new DhtNodeOptions { BindEndPoint = A, RandomSeed = 1 });
        await using DhtNode b = network.StartNode(new DhtNodeOptions { BindEndPoint = B, UsePublicRouters = false, RandomSeed = 2 });

        Task<RpcResult> ping = a.PingAsync(B);
        Assert.That(ping.IsCompleted, Is.False, "nothing happens until the clock runs");
        Assert.That(clock.RunUntil(() => ping.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(a.Options.TimeProvider, Is.SameAs(clock));
            Assert.That(a.Options.UsePublicRouters, Is.False, "names to resolve would be real I/O off the clock's loop");
            Assert.That(a.LocalEndPoint, Is.EqualTo(A));
            Assert.That(ping.Result.Status, Is.EqualTo(RpcStatus.Response));
            Assert.That(ping.Result.Response!.Id, Is.EqualTo(b.Id));
            Assert.That(ping.Result.RoundTripTime, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(50)), "the task completed inside the clock's loop, at the reply");
            Assert.That(clock.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public async Task StartNode_OnATakenEndPoint_Throws_AndTheNodesOwnSendPolicyApplies()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        var refused = new List<IPEndPoint>();
        await using DhtNode a = network.StartNode(new DhtNodeOptions { BindEndPoint = A, UsePublicRouters = false, RandomSeed = 1, SendPolicy = SendPolicy.LoopbackOnly(refused.Add) });
        var outside = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881);

        Task<RpcResult> ping = a.PingAsync(outside);
        clock.RunUntil(() => ping.IsCompleted, TimeSpan.FromMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(() => network.StartNode(new DhtNodeOptions { BindEndPoint = A, UsePublicRouters = false }), Throws.InvalidOperationException);
            Assert.That(refused, Is.EqualTo(new[] { outside }));
            Assert.That(network.Sent, Is.Zero);
            Assert.That(ping.Result.Status, Is.Not.EqualTo(RpcStatus.Response));
        });
    }

    [Test]
    public async Task TheSameSeeds_GiveTheSameRun()
    {
        async Task<string> Run()
        {
            var clock = new VirtualTimeProvider();
            var network = new InMemoryNetwork(clock, new Random(3))
            {
                LossRate = 0.1,
                Latency = static (from, to) => TimeSpan.FromMilliseconds(5 + ((from.Address.GetAddressBytes()[3] * 7 + to.Address.GetAddressBytes()[3]) % 40)),
            };
            var nodes = new List<DhtNode>();
            for (int i = 0; i < 30; i++)
            {
                DhtNode node = network.StartNode(new DhtNodeOptions
                {
                    BindEndPoint = new IPEndPoint(new IPAddress([127, 3, 0, (byte)(i + 1)]), 6881),
                    BootstrapNodes = i == 0 ? [] : [nodes[0].LocalEndPoint.ToString()],
                    UsePublicRouters = false,
                    RandomSeed = 100 + i,
                    SendPolicy = SendPolicy.LoopbackOnly(),
                });
                nodes.Add(node);
                Task join = node.JoinAsync();
                Assert.That(clock.RunUntil(() => join.IsCompleted, TimeSpan.FromMinutes(2)), Is.True);
            }

            clock.Advance(TimeSpan.FromMinutes(1));
            string tables = string.Join(";", nodes.Select(n => string.Join(",", n.GetRoutingTable().Select(e => e.Id.ToString()).Order(StringComparer.Ordinal))));
            string run = $"{network.Sent} {network.Lost} {network.Delivered} {clock.Elapsed.Ticks} {tables}";
            foreach (DhtNode node in nodes)
            {
                await node.DisposeAsync();
            }

            return run;
        }

        string first = await Run();
        Assert.That(first, Does.Contain(","), "the nodes filled their tables");
        Assert.That(await Run(), Is.EqualTo(first));
    }

    /// <summary>Records what a transport delivers, with the virtual time it arrived at.</summary>
    private sealed class Recorder(VirtualTimeProvider clock) : IDatagramReceiver
    {
        public List<(string Text, IPEndPoint Source, TimeSpan At)> Datagrams { get; } = [];

        public void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source) =>
            Datagrams.Add((System.Text.Encoding.Latin1.GetString(datagram.Span), source, clock.Elapsed));
    }
}
