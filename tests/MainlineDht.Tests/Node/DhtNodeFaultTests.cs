using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>A bug inside the node's handling of a datagram: the node lives on and the bug is reported, once per site.</summary>
public sealed class DhtNodeFaultTests
{
    private static readonly byte[] Ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
    private static readonly IPEndPoint Querier = new(IPAddress.Parse("127.0.0.2"), 7002);

    private readonly List<string> _warnings = [];
    private ScriptedTransport _transport = null!;
    private DhtNode _node = null!;

    [SetUp]
    public void StartNode()
    {
        _warnings.Clear();
        _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6881));
        _node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = new VirtualTimeProvider(),
                RandomSeed = 1,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 0,
                LoggerFactory = new TestLogger(Warn),
            },
            _transport);
        _node.Start();
    }

    [TearDown]
    public async Task StopNode() => await _node.DisposeAsync();

    private void Warn(string warning)
    {
        // Another thread must be able to enter the node meanwhile: the callback runs outside its gate.
        Assert.That(Task.Run(() => _node.GetStatistics()).Wait(TimeSpan.FromSeconds(10)), Is.True, "the warning was given under the node's gate");
        _warnings.Add(warning);
    }

    [Test]
    public void A_handler_fault_is_reported_once_per_site_and_the_node_keeps_answering()
    {
        _transport.SendFault = () => new InvalidOperationException("the transport broke");
        Assert.That(_transport.Exchange(Ping, Querier), Is.Null);

        Assert.That(_warnings, Has.Count.EqualTo(1));
        Assert.That(_warnings[0], Does.Contain("System.InvalidOperationException").And.Contain("the transport broke").And.Contain("127.0.0.2:7002"));
        Assert.That(_warnings[0], Does.Contain("MainlineDht.Transport.Outbox.Flush"), "the warning names the site in the node (replies are sent from the outbox once the gate is released)");

        Assert.That(_transport.Exchange(Ping, Querier), Is.Null);
        Assert.That(_warnings, Has.Count.EqualTo(1), "the same fault at the same site is reported once");
        Assert.That(_node.GetStatistics().InternalErrors, Is.EqualTo(2), "every fault is counted");

        _transport.SendFault = () => new NotSupportedException("another bug");
        _transport.Exchange(Ping, Querier);
        Assert.That(_warnings, Has.Count.EqualTo(2), "another exception type is another fault");
        Assert.That(_warnings[1], Does.Contain("System.NotSupportedException"));

        _transport.SendFault = null;
        byte[]? reply = _transport.Exchange(Ping, Querier);
        Assert.That(reply, Is.Not.Null, "the node answers after the faults");
        Assert.That(KrpcCodec.Decode(reply!), Is.InstanceOf<KrpcResponse>());
    }

    [Test]
    public void Distinct_faults_are_reported_up_to_a_bound_then_once_more_that_they_are_only_counted()
    {
        Type[] arguments = [.. typeof(int).Assembly.GetExportedTypes().Where(t => t.IsValueType && !t.IsGenericType && !t.IsByRefLike && !t.IsPointer).Take(40)];
        Assert.That(arguments, Has.Length.EqualTo(40));
        foreach (Type argument in arguments)
        {
            Type faultType = typeof(Fault<>).MakeGenericType(argument);
            _transport.SendFault = () => (Exception)Activator.CreateInstance(faultType)!;
            _transport.Exchange(Ping, Querier);
        }

        Assert.That(_warnings, Has.Count.EqualTo(33));
        Assert.That(_warnings[^1], Does.Contain("further ones are only counted"));
        Assert.That(_node.GetStatistics().InternalErrors, Is.EqualTo(40));
    }

    [Test]
    public async Task A_logger_that_throws_is_counted_and_does_not_escape_the_receive_path()
    {
        await using var node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = new VirtualTimeProvider(),
                RandomSeed = 2,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                LoggerFactory = new TestLogger(_ => throw new InvalidOperationException("a broken callback")),
            },
            _transport = new ScriptedTransport(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 6882)));
        node.Start();
        _transport.SendFault = () => new InvalidOperationException("the transport broke");
        Assert.That(() => _transport.Exchange(Ping, Querier), Throws.Nothing);
        Assert.That(node.GetStatistics().InternalErrors, Is.EqualTo(2), "the fault and the logger's");
    }

    private sealed class Fault<T> : Exception
    {
        public Fault()
            : base($"fault {typeof(T).Name}")
        {
        }
    }
}
