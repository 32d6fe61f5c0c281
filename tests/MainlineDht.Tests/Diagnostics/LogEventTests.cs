using System.Net;
using System.Net.Sockets;
using MainlineDht.Diagnostics;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using Microsoft.Extensions.Logging;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Diagnostics;

/// <summary>Each event the README documents, logged with its id and level when its real cause happens.</summary>
public sealed class LogEventTests
{
    private static readonly byte[] Ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
    private static readonly IPEndPoint Querier = new(IPAddress.Parse("127.0.0.2"), 7002);

    private VirtualTimeProvider _clock = null!;
    private InMemoryNetwork _network = null!;
    private string _directory = null!;
    private readonly List<DhtNode> _nodes = [];

    [SetUp]
    public void CreateNetwork()
    {
        _clock = new VirtualTimeProvider();
        _network = new InMemoryNetwork(_clock, new Random(1));
        _directory = Directory.CreateTempSubdirectory("mainline-dht-log-").FullName;
    }

    [TearDown]
    public async Task StopNodes()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        Directory.Delete(_directory, recursive: true);
    }

    private DhtNode Start(int address, TestLogger? log, Func<DhtNodeOptions, DhtNodeOptions>? configure = null, SendPolicy? policy = null)
    {
        var options = new DhtNodeOptions
        {
            TimeProvider = _clock,
            RandomSeed = address,
            UsePublicRouters = false,
            RunContinuationsInline = true,
            BootstrapRetryDelay = TimeSpan.FromSeconds(1),
            LoggerFactory = log,
        };
        options = configure?.Invoke(options) ?? options;
        options = policy is null ? options : options with { SendPolicy = policy }; // as UdpTransport.Bind gets it
        IDatagramTransport transport = _network.CreateTransport(new IPEndPoint(IPAddress.Parse($"127.0.0.{address}"), 6881));
        var node = new DhtNode(options, policy is null ? transport : new PolicedTransport(transport, policy, _clock));
        node.Start();
        _nodes.Add(node);
        return node;
    }

    private T Run<T>(Task<T> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(5)), Is.True, "did not complete on virtual time");
        return task.GetAwaiter().GetResult();
    }

    private static LogEntry Single(TestLogger log, int id, LogLevel level)
    {
        List<LogEntry> entries = [.. log.WithId(id)];
        Assert.That(entries, Has.Count.GreaterThanOrEqualTo(1), $"event {id} was not logged; logged: {string.Join(" | ", log.Entries.Select(e => $"{e.EventId} {e.Message}"))}");
        Assert.That(entries.Select(e => e.Level), Is.All.EqualTo(level), $"event {id}'s level");
        return entries[0];
    }

    [Test]
    public async Task Start_a_join_that_finds_no_node_its_retries_health_changes_and_stop_are_logged()
    {
        var log = new TestLogger();
        var dead = new IPEndPoint(IPAddress.Parse("127.0.0.50"), 6881);
        DhtNode node = Start(10, log, o => o with { BootstrapNodes = [dead.ToString()] });
        node.HealthChanged += (_, _) => throw new InvalidOperationException("a broken handler");
        Assert.That(log.Categories, Is.EqualTo(new[] { DhtDiagnostics.LoggerCategory }));
        Assert.That(Single(log, Log.NodeStartedId, LogLevel.Information).Message, Is.EqualTo($"DHT node {node.Id} started on {node.LocalEndPoint}"));

        Run(node.JoinAsync());
        LogEntry noNode = Single(log, Log.JoinFoundNoNodeId, LogLevel.Warning);
        Assert.That(noNode.Message, Does.StartWith($"join found no node: none answered ({dead})"));
        Assert.That(noNode.EventName, Is.EqualTo("JoinFoundNoNode"));

        _clock.Advance(TimeSpan.FromSeconds(10)); // the node's own tries (1 s, 2 s, 4 s ...)
        LogEntry retry = Single(log, Log.RebootstrapFoundNoNodeId, LogLevel.Debug);
        Assert.That(retry.State, Does.Contain(new KeyValuePair<string, object?>("NodesQueried", 1)));
        Assert.That(log.WithId(Log.JoinFoundNoNodeId).Count(), Is.EqualTo(1), "the node's own tries are Debug, not warnings again");

        // A node comes up at the bootstrap address: the next try joins, and the health changes.
        Start(50, null);
        Assert.That(_clock.RunUntil(() => node.Health != DhtHealth.Bootstrapping, TimeSpan.FromMinutes(1)), Is.True);
        LogEntry health = Single(log, Log.HealthChangedId, LogLevel.Information);
        Assert.That(health.Message, Does.StartWith("health changed from Bootstrapping to Degraded: 1 good nodes"));
        Assert.That(Single(log, Log.HealthHandlerFailedId, LogLevel.Warning).Exception, Is.TypeOf<InvalidOperationException>());

        _nodes.Remove(node);
        await node.DisposeAsync();
        Assert.That(log.WithId(Log.HealthChangedId).Last().Message, Does.StartWith("health changed from Degraded to Stopped"));
        Assert.That(Single(log, Log.NodeStoppedId, LogLevel.Information).Message, Is.EqualTo($"DHT node {node.Id} stopped"));
    }

    [Test]
    public void A_bootstrap_name_that_does_not_resolve_and_a_resolver_that_fails_are_logged()
    {
        var log = new TestLogger();
        int calls = 0;
        Task<IPAddress[]> Resolve(string host, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref calls) == 1
                ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))
                : Task.FromException<IPAddress[]>(new InvalidOperationException("the resolver broke"));

        DhtNode node = Start(11, log, o => o with { BootstrapNodes = ["router.example.invalid:6881"], ResolveHost = Resolve });
        Run(node.JoinAsync());
        LogEntry unresolved = Single(log, Log.BootstrapNameUnresolvedId, LogLevel.Warning);
        Assert.That(unresolved.Message, Does.StartWith("could not resolve bootstrap node router.example.invalid:6881: "));
        Assert.That(unresolved.State, Does.Contain(new KeyValuePair<string, object?>("Name", "router.example.invalid:6881")));

        _clock.Advance(TimeSpan.FromSeconds(2)); // the node tries again by itself, and its resolver throws
        LogEntry failed = Single(log, Log.RebootstrapFailedId, LogLevel.Warning);
        Assert.That(failed.Message, Is.EqualTo("bootstrapping again failed: the resolver broke"));
        Assert.That(failed.Exception, Is.TypeOf<InvalidOperationException>());
    }

    [Test]
    public void A_table_that_lost_its_last_live_node_is_logged()
    {
        var log = new TestLogger();
        DhtNode bootstrap = Start(20, null);
        DhtNode node = Start(12, log, o => o with { BootstrapNodes = [bootstrap.LocalEndPoint.ToString()] });
        Run(node.JoinAsync());
        _nodes.Remove(bootstrap);
        Assert.That(bootstrap.DisposeAsync().IsCompletedSuccessfully, Is.True);
        _clock.Advance(TimeSpan.FromMinutes(40));
        Assert.That(Single(log, Log.NoLiveNodeLeftId, LogLevel.Warning).Message, Is.EqualTo("no live node left in the routing table: bootstrapping again"));
        Assert.That(log.WithId(Log.HealthChangedId).Select(e => e.Message), Has.Some.StartWith("health changed from Degraded to Bootstrapping"));
    }

    [Test]
    public void A_bad_state_file_is_set_aside_and_a_locked_one_is_unreadable_and_a_failed_save_is_logged()
    {
        string bad = Path.Combine(_directory, "bad.json");
        File.WriteAllText(bad, "{ not json");
        var log = new TestLogger();
        Start(13, log, o => o with { StateFile = bad });
        LogEntry setAside = Single(log, Log.StateFileSetAsideId, LogLevel.Warning);
        Assert.That(setAside.Message, Does.StartWith($"state file {bad} is invalid ("));
        Assert.That(File.Exists((string)setAside.State.Single(s => s.Key == "MovedTo").Value!), Is.True, "the bad file is kept where the event says");

        string locked = Path.Combine(_directory, "locked.json");
        File.WriteAllText(locked, "{}");
        var lockedLog = new TestLogger();
        using (new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            Start(14, lockedLog, o => o with { StateFile = locked });
        }

        Assert.That(Single(lockedLog, Log.StateFileUnreadableId, LogLevel.Warning).Message, Does.StartWith($"cannot read state file {locked} ("));

        string notADirectory = Path.Combine(_directory, "a-file");
        File.WriteAllText(notADirectory, "in the way");
        string nowhere = Path.Combine(notADirectory, "state.json");
        var saveLog = new TestLogger();
        DhtNode node = Start(15, saveLog, o => o with { StateFile = nowhere });
        Assert.That(node.SaveState(), Is.False);
        LogEntry saveFailed = Single(saveLog, Log.StateSaveFailedId, LogLevel.Warning);
        Assert.That(saveFailed.Message, Does.StartWith($"could not save the DHT state to {nowhere}: "));
        Assert.That(saveFailed.Exception, Is.InstanceOf<IOException>());
    }

    [Test]
    public async Task An_ip_that_keeps_exceeding_its_rate_is_banned_and_logged()
    {
        var log = new TestLogger();
        var transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = _clock, RandomSeed = 1, UsePublicRouters = false, SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 1, QueryBurstPerIp = 1, IpBanThreshold = 3, IpBanDuration = TimeSpan.FromMinutes(2),
                LoggerFactory = log,
            },
            transport);
        node.Start();
        for (int i = 0; i < 6; i++)
        {
            transport.Exchange(Ping, Querier);
        }

        LogEntry banned = Single(log, Log.IpBannedId, LogLevel.Information);
        Assert.That(banned.State, Does.Contain(new KeyValuePair<string, object?>("Address", Querier.Address)));
        Assert.That(banned.Message, Is.EqualTo("banned 127.0.0.2 for 00:02:00: its queries kept exceeding the per-IP rate limit"));
        Assert.That(log.WithId(Log.IpBannedId).Count(), Is.EqualTo(1), "one ban, one event");
    }

    [Test]
    public async Task A_fault_is_logged_as_an_error_once_per_site_and_the_last_site_says_no_more_are()
    {
        var log = new TestLogger();
        var transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions { TimeProvider = _clock, RandomSeed = 1, UsePublicRouters = false, SendPolicy = NetworkGuard.Policy, QueriesPerSecondPerIp = 0, LoggerFactory = log },
            transport);
        node.Start();

        // Faults of distinct exception types are distinct sites: the first 32 are logged, then one saying so.
        Type type = typeof(int);
        for (int i = 0; i < FaultSites.MaxSites + 3; i++)
        {
            type = typeof(List<>).MakeGenericType(type);
            Type faultType = typeof(SiteFault<>).MakeGenericType(type);
            transport.SendFault = () => (Exception)Activator.CreateInstance(faultType)!;
            transport.Exchange(Ping, Querier);
        }

        List<LogEntry> errors = [.. log.WithId(Log.InternalErrorId)];
        Assert.That(errors, Has.Count.EqualTo(FaultSites.MaxSites));
        Assert.That(errors.Select(e => e.Level), Is.All.EqualTo(LogLevel.Error));
        Assert.That(errors[0].Exception, Is.InstanceOf<Exception>().And.Property(nameof(Exception.Message)).EqualTo("a fault"));
        Assert.That(errors[0].Message, Does.StartWith("internal error sending a datagram to 127.0.0.2:7002: ").And.Contain("(at MainlineDht.Transport.Outbox.Flush)"));
        Assert.That(Single(log, Log.InternalErrorsSaturatedId, LogLevel.Error).Message, Does.Contain($"{FaultSites.MaxSites} distinct faults reported"));
        Assert.That(node.GetStatistics().InternalErrors, Is.EqualTo(FaultSites.MaxSites + 3));
    }

    [Test]
    public void A_new_BEP_42_id_is_logged_and_a_failing_handler_too()
    {
        var log = new TestLogger();
        var ours = new IPEndPoint(IPAddress.Parse("50.1.2.3"), 6881);
        var voters = new List<ScriptedPeer>();
        for (int i = 1; i <= 6; i++)
        {
            var endPoint = IPEndPoint.Parse($"60.0.{i}.1:6881");
            voters.Add(new ScriptedPeer(_network, endPoint, SecureNodeId.Create(endPoint.Address, (byte)i, new Random(i))));
        }

        DhtNode node = _network.StartNode(new DhtNodeOptions
        {
            BindEndPoint = ours,
            RandomSeed = 7,
            BootstrapNodes = [.. voters.Select(p => p.EndPoint.ToString())],
            SendPolicy = SendPolicy.AllowAll, // in memory: the network delivers only to its own endpoints
            QueriesPerSecondPerIp = 0,
            LoggerFactory = log,
        });
        _nodes.Add(node);
        NodeId before = node.Id;
        node.IdChanged += (_, _) => throw new InvalidOperationException("a broken handler");
        Run(node.JoinAsync());

        Assert.That(node.Id, Is.Not.EqualTo(before));
        Assert.That(Single(log, Log.NodeIdChangedId, LogLevel.Information).Message,
            Is.EqualTo($"node id changed from {before} to {node.Id}, the id BEP 42 allows for our external address {ours.Address}"));
        Assert.That(Single(log, Log.IdHandlerFailedId, LogLevel.Warning).Message, Is.EqualTo("an IdChanged handler failed: a broken handler"));
    }

    [Test]
    public async Task A_node_without_ipv6_logs_it_once()
    {
        var log = new TestLogger();
        IDatagramTransport Bind(IPEndPoint endPoint, SendPolicy policy) =>
            endPoint.AddressFamily == AddressFamily.InterNetworkV6
                ? throw new SocketException((int)SocketError.AddressFamilyNotSupported)
                : _network.CreateTransport(new IPEndPoint(IPAddress.Parse("127.0.0.16"), 6881));

        DhtNode node = await DhtNode.BindAndStartAsync(
            new DhtNodeOptions { BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0), BindEndPointV6 = new IPEndPoint(IPAddress.IPv6Any, 0), TimeProvider = _clock, UsePublicRouters = false, LoggerFactory = log },
            Bind,
            CancellationToken.None);
        _nodes.Add(node);
        Assert.That(Single(log, Log.Ipv6UnavailableId, LogLevel.Warning).Message, Does.StartWith("IPv6 is not available here (").And.EndWith("): the node runs on IPv4 only"));
        Assert.That(log.WithId(Log.Ipv6UnavailableId).Count(), Is.EqualTo(1));
    }

    [Test]
    public void A_datagram_the_send_policy_refuses_is_logged_at_debug()
    {
        var log = new TestLogger();
        var refused = new List<IPEndPoint>();
        DhtNode node = Start(17, log, policy: SendPolicy.LoopbackOnly(refused.Add));
        var outside = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 6881);
        Run(node.PingAsync(outside));
        Assert.That(refused, Is.EqualTo(new[] { outside }), "nothing left the machine");
        Assert.That(Single(log, Log.SendRefusedId, LogLevel.Debug).Message, Is.EqualTo($"a datagram to {outside} was not sent: the send policy refuses it"));

        var quiet = new TestLogger(minimumLevel: LogLevel.Information);
        DhtNode other = Start(18, quiet, policy: SendPolicy.LoopbackOnly(refused.Add));
        Run(other.PingAsync(outside));
        Assert.That(quiet.WithId(Log.SendRefusedId), Is.Empty, "Debug off: not logged (nor formatted)");
    }

    private sealed class SiteFault<T> : Exception
    {
        public SiteFault()
            : base("a fault")
        {
        }
    }
}
