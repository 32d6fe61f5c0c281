using System.Net;
using MainlineDht.Persistence;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Persistence;

/// <summary>The state file: a typed load status, both address families, the file of the one-family format, saving on the upkeep's schedule.</summary>
public sealed class StateFileTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly NodeId Id = NodeId.Parse("1111111111111111111111111111111111111111");
    private string _directory = null!;
    private readonly List<string> _warnings = [];

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "mainline-dht-statefile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _warnings.Clear();
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    [Test]
    public void No_file_is_a_fresh_start_without_a_warning()
    {
        var file = new StateFile(PathOf("state.json"), new TestLogger(_warnings.Add));
        Assert.That(file.Load(Now), Is.Null);
        Assert.That(file.Status, Is.EqualTo(new StateLoadStatus.NoFile(PathOf("state.json"))));
        Assert.That(file.Status!.Message, Does.StartWith("no state file at "));
        Assert.That(_warnings, Is.Empty);
    }

    [Test]
    public void Both_families_are_saved_apart_and_loaded_back()
    {
        var state = new DhtNodeState
        {
            NodeId = Id,
            SavedAt = Now,
            Nodes = [new SavedNode(NodeId.Parse("2222222222222222222222222222222222222222"), IPEndPoint.Parse("127.0.0.2:6881"), Now)],
            Nodes6 =
            [
                new SavedNode(NodeId.Parse("3333333333333333333333333333333333333333"), IPEndPoint.Parse("[::1]:6881"), Now),
                new SavedNode(NodeId.Parse("4444444444444444444444444444444444444444"), IPEndPoint.Parse("[::1]:6882"), Now),
            ],
        };
        var file = new StateFile(PathOf("state.json"), new TestLogger(_warnings.Add));
        Assert.That(file.TrySave(state), Is.True);
        Assert.That(File.ReadAllText(PathOf("state.json")), Does.Contain("\"nodes6\"").And.Contain("[::1]:6882"));

        DhtNodeState? loaded = file.Load(Now);
        Assert.That(loaded!.Nodes, Is.EqualTo(state.Nodes));
        Assert.That(loaded.Nodes6, Is.EqualTo(state.Nodes6));
        Assert.That(file.Status, Is.EqualTo(new StateLoadStatus.Loaded(PathOf("state.json"), 1, 2)));
        Assert.That(file.Status!.Message, Does.StartWith("loaded 3 nodes from "));
    }

    [Test]
    public void A_file_of_the_one_family_format_loads_with_no_IPv6_nodes_and_is_written_without_the_key()
    {
        File.WriteAllText(PathOf("old.json"), """
            {
              "format": "mainline-dht-state",
              "version": 1,
              "node_id": "1111111111111111111111111111111111111111",
              "saved_at": "2026-01-01T00:00:00+00:00",
              "nodes": [ { "id": "2222222222222222222222222222222222222222", "endpoint": "127.0.0.2:6881", "last_seen": "2026-01-01T00:00:00+00:00" } ]
            }
            """);
        var file = new StateFile(PathOf("old.json"), new TestLogger(_warnings.Add));
        DhtNodeState? loaded = file.Load(Now);
        Assert.That((loaded!.Nodes.Count, loaded.Nodes6.Count), Is.EqualTo((1, 0)));
        Assert.That(file.Status!.Message, Is.EqualTo($"loaded 1 nodes from {PathOf("old.json")}"), "the message the command line matches on");

        Assert.That(file.TrySave(loaded), Is.True);
        Assert.That(File.ReadAllText(PathOf("old.json")), Does.Not.Contain("nodes6"), "a one-family state stays readable by the previous version as it was");
    }

    [Test]
    public void A_bad_file_is_set_aside_with_a_typed_status_and_one_warning()
    {
        File.WriteAllText(PathOf("state.json"), "{ not json");
        var file = new StateFile(PathOf("state.json"), new TestLogger(_warnings.Add));
        Assert.That(file.Load(Now), Is.Null);

        var aside = (StateLoadStatus.SetAside)file.Status!;
        Assert.That(aside.MovedTo, Is.EqualTo(PathOf("state.json") + ".bad-20260101000000"));
        Assert.That(File.ReadAllText(aside.MovedTo), Is.EqualTo("{ not json"));
        Assert.That(aside.Reason, Does.StartWith("not a JSON state file"));
        Assert.That(_warnings, Is.EqualTo(new[] { aside.Message }));
        Assert.That(file.TrySave(new DhtNodeState { NodeId = Id, SavedAt = Now }), Is.True, "a fresh state may be written where the bad one was");
    }

    [Test]
    public void An_invalid_IPv6_node_is_named_as_such()
    {
        File.WriteAllText(PathOf("state.json"), """
            { "format": "mainline-dht-state", "version": 1, "node_id": "1111111111111111111111111111111111111111",
              "nodes": [], "nodes6": [ { "id": "nope", "endpoint": "[::1]:1" } ] }
            """);
        var file = new StateFile(PathOf("state.json"), new TestLogger(_warnings.Add));
        file.Load(Now);
        Assert.That(((StateLoadStatus.SetAside)file.Status!).Reason, Is.EqualTo("IPv6 node 0 has an invalid id or endpoint"));
    }

    [Test]
    public async Task The_upkeep_writes_the_state_every_five_minutes()
    {
        await using var network = new VirtualNetwork();
        string path = PathOf("node.json");
        DhtNode node = network.StartNode("127.0.0.2", seed: 1, configure: o => o with { StateFile = path });
        Assert.That(node.StateLoadStatus, Is.InstanceOf<StateLoadStatus.NoFile>());

        network.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.That(File.Exists(path), Is.False, "not before the tenth tick");
        network.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(DhtNodeState.TryLoad(path, out DhtNodeState? state, out _), Is.True);
        Assert.That(state!.NodeId, Is.EqualTo(node.Id));
    }
}
