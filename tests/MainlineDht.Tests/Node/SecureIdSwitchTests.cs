using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>
/// BEP 42 in full, on virtual time with public-looking addresses on the in-memory network (nothing
/// leaves the process): the vote settles, the node takes the id its address allows, re-buckets,
/// saves it, and derives again when the vote settles elsewhere.
/// </summary>
public sealed class SecureIdSwitchTests
{
    private static readonly IPEndPoint Ours = IPEndPoint.Parse("50.1.2.3:6881");

    private string _directory = null!;

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("mainline-dht-bep42-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Derive_keeps_the_random_byte_and_every_bit_BEP_42_does_not_fix()
    {
        NodeId current = NodeId.Parse("0123456789abcdef0123456789abcdef012345a7");
        var address = IPAddress.Parse("124.31.75.21");

        NodeId derived = SecureNodeId.Derive(current, address);

        byte[] before = current.ToArray();
        byte[] after = derived.ToArray();
        Assert.That(SecureNodeId.IsValid(derived, address), Is.True);
        Assert.That(after[19], Is.EqualTo(before[19]), "r");
        Assert.That(after[3..], Is.EqualTo(before[3..]));
        Assert.That(after[2] & 0x07, Is.EqualTo(before[2] & 0x07));
        Assert.That(SecureNodeId.Derive(derived, address), Is.EqualTo(derived), "a valid id stays");
    }

    [Test]
    public void Voters_of_one_slash_24_cast_one_vote_and_five_ranges_settle_it()
    {
        var vote = new ExternalAddressVote();
        var reported = IPAddress.Parse("50.1.2.3");
        for (int i = 1; i <= 10; i++)
        {
            vote.Add(IPAddress.Parse($"60.0.0.{i}"), reported);
        }

        Assert.That(vote.Leader, Is.EqualTo(reported));
        Assert.That(vote.Settled, Is.False, "ten voters of one /24 are one vote");
        for (int i = 1; i <= 4; i++)
        {
            vote.Add(IPAddress.Parse($"60.0.{i}.1"), reported);
        }

        Assert.That(vote.Settled, Is.True);
    }

    private static (VirtualTimeProvider Clock, InMemoryNetwork Network) NewNetwork()
    {
        var clock = new VirtualTimeProvider();
        return (clock, new InMemoryNetwork(clock, new Random(1)));
    }

    /// <summary>Peers on <paramref name="count"/> distinct /24s that answer anything and report <paramref name="reported"/> as our address.</summary>
    private static List<ScriptedPeer> Voters(InMemoryNetwork network, string rangePrefix, int count, IPAddress? reported = null)
    {
        var peers = new List<ScriptedPeer>();
        for (int i = 1; i <= count; i++)
        {
            var endPoint = IPEndPoint.Parse($"{rangePrefix}.{i}.1:6881");
            peers.Add(new ScriptedPeer(network, endPoint, SecureNodeId.Create(endPoint.Address, (byte)i, new Random(i))) { ReportedAddress = reported });
        }

        return peers;
    }

    private DhtNode StartNode(InMemoryNetwork network, IEnumerable<ScriptedPeer> bootstrap, NodeId? id = null, IPEndPoint? bind = null) =>
        network.StartNode(new DhtNodeOptions
        {
            BindEndPoint = bind ?? Ours,
            NodeId = id,
            RandomSeed = 7,
            BootstrapNodes = [.. bootstrap.Select(p => p.EndPoint.ToString())],
            StateFile = Path.Combine(_directory, "state.json"),
            SendPolicy = SendPolicy.AllowAll, // in memory: the network delivers only to its own endpoints
            QueriesPerSecondPerIp = 0,
        });

    private static void Run(VirtualTimeProvider clock, Task task) =>
        Assert.That(clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(2)), Is.True);

    [Test]
    public async Task Once_five_ranges_agree_the_node_takes_its_BEP_42_id_rebuckets_and_saves_it()
    {
        (VirtualTimeProvider clock, InMemoryNetwork network) = NewNetwork();
        List<ScriptedPeer> voters = Voters(network, "60.0", 6);
        DhtNode node = StartNode(network, voters);
        NodeId before = node.Id;
        Assert.That(SecureNodeId.IsValid(before, Ours.Address), Is.False, "a random id, to begin with");
        var changes = new List<NodeIdChange>();
        node.IdChanged += (_, change) => changes.Add(change);

        Run(clock, node.JoinAsync());

        Assert.That(SecureNodeId.IsValid(node.Id, Ours.Address), Is.True);
        Assert.That(node.Id.ToArray()[19], Is.EqualTo(before.ToArray()[19]), "the random byte is kept");
        Assert.That(changes, Is.EqualTo(new[] { new NodeIdChange(before, node.Id, Ours.Address) }));
        IReadOnlyList<MainlineDht.Routing.RoutingTableEntry> table = node.GetRoutingTable();
        Assert.That(table.Select(e => e.EndPoint), Is.EquivalentTo(voters.Select(v => v.EndPoint)), "every node kept through the re-bucketing");
        Assert.That(voters.SelectMany(v => v.Received).Any(r => r.Query.Id == node.Id), Is.True, "queries go out under the new id");
        Assert.That(DhtNodeState.TryLoad(Path.Combine(_directory, "state.json"), out DhtNodeState? saved, out _), Is.True, "saved at once");
        Assert.That(saved!.NodeId, Is.EqualTo(node.Id));
        await node.DisposeAsync();
    }

    [Test]
    public async Task When_the_vote_settles_on_another_address_the_id_is_derived_again()
    {
        (VirtualTimeProvider clock, InMemoryNetwork network) = NewNetwork();
        DhtNode node = StartNode(network, Voters(network, "60.0", 5));
        Run(clock, node.JoinAsync());
        NodeId first = node.Id;
        Assert.That(SecureNodeId.IsValid(first, Ours.Address), Is.True);

        // Our NAT now maps us elsewhere: six ranges say so (one more than said the old address).
        var moved = IPAddress.Parse("70.9.9.9");
        foreach (ScriptedPeer voter in Voters(network, "61.0", 6, moved))
        {
            Run(clock, node.PingAsync(voter.EndPoint));
        }

        Assert.That(node.ExternalAddress, Is.EqualTo(moved));
        Assert.That(SecureNodeId.IsValid(node.Id, moved), Is.True);
        Assert.That(node.Id.ToArray()[3..], Is.EqualTo(first.ToArray()[3..]), "only the bits BEP 42 fixes changed");
        await node.DisposeAsync();
    }

    [TestCase("127.0.60.1", null, TestName = "a loopback address keeps its id")]
    [TestCase("50.1.2.3", "00000000000000000000000000000000000000aa", TestName = "an id given in the options is kept")]
    public async Task Kept(string bind, string? givenId)
    {
        (VirtualTimeProvider clock, InMemoryNetwork network) = NewNetwork();
        List<ScriptedPeer> voters = Voters(network, "60.0", 6, IPAddress.Parse(bind));
        DhtNode node = StartNode(network, voters, givenId is null ? null : NodeId.Parse(givenId), new IPEndPoint(IPAddress.Parse(bind), 6881));
        NodeId before = node.Id;

        Run(clock, node.JoinAsync());

        Assert.That(node.ExternalAddress, Is.EqualTo(IPAddress.Parse(bind)));
        Assert.That(node.Id, Is.EqualTo(before));
        await node.DisposeAsync();
    }
}
