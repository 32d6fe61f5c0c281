using System.Net;
using System.Net.Sockets;
using MainlineDht.Hosting.Internal;
using MainlineDht.Hosting.Tests.Support;
using MainlineDht.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MainlineDht.Hosting.Tests;

/// <summary>The hosted node starts with the host, joins, and stops with it; all on loopback.</summary>
public sealed class HostedServiceTests : LoopbackTest
{
    private static readonly string Category = typeof(DhtNodeHostedService).FullName!;

    [Test]
    public async Task AHostOnLoopbackRunsAndStopsCleanly()
    {
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.4"), logs);
        IDhtNodeAccessor accessor = host.Services.GetRequiredService<IDhtNodeAccessor>();
        Assert.That(accessor.Node, Is.Null, "no node before the host starts");
        Task<DhtNode> started = accessor.GetNodeAsync();

        await host.StartAsync();
        DhtNode node = await started.WaitAsync(TestHosts.Patience);

        Assert.Multiple(() =>
        {
            Assert.That(accessor.Node, Is.SameAs(node));
            Assert.That(node.LocalEndPoint.Address, Is.EqualTo(IPAddress.Parse("127.0.0.4")));
            Assert.That(node.LocalEndPoint.Port, Is.Not.Zero);
        });

        await host.StopAsync().WaitAsync(TestHosts.Patience);

        Assert.That(accessor.Node, Is.Null, "no node after the host stops");
        await Assert.ThrowsAsync<InvalidOperationException>(() => accessor.GetNodeAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => accessor.GetJoinedNodeAsync());
        Assert.That(logs.EventIds(Category), Does.Contain(Log.NodeStartedId).And.Contain(Log.NodeStoppedId));
        Assert.That(logs.Records.Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Error), Is.Empty);
        Assert.That(logs.Records.Single(r => r.EventId.Id == Log.NodeStartedId).Message, Does.Contain("started on 127.0.0.4:"));

        // Stopped means closed: the port can be bound again at once.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(node.LocalEndPoint);
    }

    [Test]
    public async Task ASecondHostJoinsThroughTheFirst()
    {
        var firstLogs = new LogCollector();
        var secondLogs = new LogCollector();
        using IHost first = TestHosts.Build(TestHosts.Loopback("127.0.0.5"), firstLogs);
        await first.StartAsync();
        IDhtNodeAccessor firstAccessor = first.Services.GetRequiredService<IDhtNodeAccessor>();
        DhtNode firstNode = await firstAccessor.GetNodeAsync().WaitAsync(TestHosts.Patience);

        // The first has nothing to join through and says so once its join returns; the second starts
        // after that (started sooner, it may contact the first before its join returns, and then
        // the first has joined and rightly says nothing of waiting).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!firstLogs.EventIds(Category).Contains(Log.AwaitingContactId) && waited.Elapsed < TestHosts.Patience)
        {
            await Task.Delay(10);
        }

        using IHost second = TestHosts.Build(TestHosts.Loopback("127.0.0.6", firstNode.HostPort()), secondLogs);
        await second.StartAsync();
        DhtNode secondNode = await second.Services.GetRequiredService<IDhtNodeAccessor>().GetJoinedNodeAsync().WaitAsync(TestHosts.Patience);

        Assert.That(secondNode.GetRoutingTable().Select(e => e.Id), Does.Contain(firstNode.Id));
        Assert.That(secondLogs.EventIds(Category), Does.Contain(Log.NodeJoinedId));
        Assert.That(secondLogs.Records.Single(r => r.EventId.Id == Log.NodeJoinedId).Message, Does.Contain("1 nodes in the routing table"));

        // The first had nothing to join through: it said so, and joined once the second contacted it.
        Assert.That(firstLogs.EventIds(Category), Does.Contain(Log.AwaitingContactId));
        DhtNode joinedFirst = await firstAccessor.GetJoinedNodeAsync().WaitAsync(TestHosts.Patience);
        Assert.That(joinedFirst.GetRoutingTable().Select(e => e.Id), Does.Contain(secondNode.Id));

        await second.StopAsync().WaitAsync(TestHosts.Patience);
        await first.StopAsync().WaitAsync(TestHosts.Patience);
    }

    [Test]
    public async Task StoppingSavesTheStateAndARestartLoadsIt()
    {
        string directory = Directory.CreateTempSubdirectory("mainline-dht-hosting-").FullName;
        string stateFile = Path.Combine(directory, "dht-state.json");
        try
        {
            await using DhtNode peer = await TestHosts.StartNodeAsync("127.0.0.1");
            var logs = new LogCollector();
            NodeId id;
            using (IHost host = TestHosts.Build(Stateful(peer, stateFile), logs))
            {
                await host.StartAsync();
                id = (await host.Services.GetRequiredService<IDhtNodeAccessor>().GetJoinedNodeAsync().WaitAsync(TestHosts.Patience)).Id;
                await host.StopAsync().WaitAsync(TestHosts.Patience);
            }

            Assert.That(File.Exists(stateFile), Is.True);
            Assert.That(logs.EventIds(Category), Does.Contain(Log.StateSavedId));
            Assert.That(logs.Records.Single(r => r.EventId.Id == Log.StateSavedId).Message, Does.Contain(stateFile));

            var restartLogs = new LogCollector();
            using (IHost host = TestHosts.Build(Stateful(peer, stateFile), restartLogs))
            {
                await host.StartAsync();
                DhtNode restarted = await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);
                Assert.That(restarted.Id, Is.EqualTo(id), "the saved id is used again");
                await host.StopAsync().WaitAsync(TestHosts.Patience);
            }

            Assert.That(restartLogs.Records.Single(r => r.EventId.Id == Log.StateFileStatusId).Message, Does.Contain("loaded 1 nodes"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        static Action<MainlineDhtOptions> Stateful(DhtNode peer, string stateFile) => o =>
        {
            TestHosts.Loopback("127.0.0.1", peer.HostPort())(o);
            o.StateFile = stateFile;
        };
    }

    [Test]
    public async Task APortInUseFailsTheStart()
    {
        await using DhtNode occupant = await TestHosts.StartNodeAsync("127.0.0.1");
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(o =>
        {
            TestHosts.Loopback("127.0.0.1")(o);
            o.Port = occupant.LocalEndPoint.Port;
        }, logs);
        IDhtNodeAccessor accessor = host.Services.GetRequiredService<IDhtNodeAccessor>();
        Task<DhtNode> waiting = accessor.GetNodeAsync();

        await Assert.ThrowsAsync<SocketException>(() => host.StartAsync());

        Assert.That(logs.EventIds(Category), Does.Contain(Log.StartFailedId));
        Assert.That(logs.Records.Single(r => r.EventId.Id == Log.StartFailedId).Message, Does.Contain(occupant.LocalEndPoint.ToString()));
        await Assert.ThrowsAsync<SocketException>(() => waiting.WaitAsync(TestHosts.Patience));
        Assert.That(accessor.Node, Is.Null);
    }

    [Test]
    public async Task AJoinThatNobodyAnswersIsRetriedByTheNodeAndStopsPromptly()
    {
        // A bound socket that reads but never answers: queries to it time out, with no ICMP error to end them early.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.7"), 0));
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(o =>
        {
            TestHosts.Loopback("127.0.0.7", silent.LocalEndPoint!.ToString()!)(o);
            o.QueryTimeout = TimeSpan.FromMilliseconds(300);
        }, logs);

        await host.StartAsync();

        // The node bootstraps again by itself (200 ms, 400 ms, ... up to 1 s apart): the silent node hears each try.
        var buffer = new byte[1500];
        int heard = 0;
        using (var patience = new CancellationTokenSource(TestHosts.Patience))
        {
            while (heard < 3)
            {
                await silent.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
                heard++;
            }
        }

        Assert.That(logs.EventIds(Category).Count(id => id == Log.JoinFoundNoNodesId), Is.EqualTo(1), "said once, not at every try");
        Assert.That(logs.Records.Single(r => r.EventId.Id == Log.JoinFoundNoNodesId).Message, Does.Contain("1 bootstrap nodes configured").And.Contain("tries again in 00:00:00.2"));
        Assert.That(logs.Records.Count(r => r.Message.Contains("join found no node", StringComparison.Ordinal)), Is.EqualTo(1), "the node's own warning, once");
        Assert.That(logs.EventIds(Category), Does.Not.Contain(Log.NodeJoinedId));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync().WaitAsync(TestHosts.Patience);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(logs.EventIds(Category), Does.Contain(Log.NodeStoppedId));
    }

    [Test]
    public async Task ANodeWhoseBootstrapNodeComesLateJoinsWithoutAnotherJoinCall()
    {
        // The bootstrap address is known before anything listens there: the first join finds nobody.
        using var placeholder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        placeholder.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.8"), 0));
        var late = (IPEndPoint)placeholder.LocalEndPoint!;
        var logs = new LogCollector();
        using IHost host = TestHosts.Build(o =>
        {
            TestHosts.Loopback("127.0.0.9", late.ToString())(o);
            o.QueryTimeout = TimeSpan.FromMilliseconds(300);
        }, logs);
        await host.StartAsync();
        var buffer = new byte[1500];
        await placeholder.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TestHosts.Patience);
        placeholder.Close();

        await using DhtNode bootstrap = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = late,
            UsePublicRouters = false,
            SendPolicy = Transport.SendPolicy.LoopbackOnly(TestHosts.Refused.Enqueue),
        });
        DhtNode joined = await host.Services.GetRequiredService<IDhtNodeAccessor>().GetJoinedNodeAsync().WaitAsync(TestHosts.Patience);

        Assert.That(joined.GetRoutingTable().Select(e => e.Id), Does.Contain(bootstrap.Id));
        Assert.That(logs.EventIds(Category), Does.Contain(Log.JoinFoundNoNodesId).And.Contain(Log.NodeJoinedId));
        await host.StopAsync().WaitAsync(TestHosts.Patience);
    }

    [Test]
    public async Task TheNodeUsesTheTimeProviderFromDependencyInjection()
    {
        var clock = new CountingClock();
        using IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.1"), services: s => s.AddSingleton<TimeProvider>(clock));

        await host.StartAsync();
        DhtNode node = await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience);

        Assert.That(node.Options.TimeProvider, Is.SameAs(clock));
        Assert.That(clock.Timers, Is.GreaterThan(0), "the node's timers run on the injected clock");
        await host.StopAsync().WaitAsync(TestHosts.Patience);
    }

    [Test]
    public async Task DisposingAHostThatWasNeverStoppedClosesTheSocket()
    {
        IPEndPoint bound;
        using (IHost host = TestHosts.Build(TestHosts.Loopback("127.0.0.1")))
        {
            await host.StartAsync();
            bound = (await host.Services.GetRequiredService<IDhtNodeAccessor>().GetNodeAsync().WaitAsync(TestHosts.Patience)).LocalEndPoint;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(bound);
    }

    private sealed class CountingClock : TimeProvider
    {
        private int _timers;

        public int Timers => _timers;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
