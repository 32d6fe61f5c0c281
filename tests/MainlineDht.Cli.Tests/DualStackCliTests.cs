using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MainlineDht.Protocol;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// The command on both address families (BEP 32): <c>--bind</c> given twice (one IPv4, one IPv6
/// address), <c>[v6]:port</c> in <c>--bootstrap</c> and <c>ping</c>, the one-shot commands'
/// default of both families, a dual-stack <c>swarm</c>. Only 127.0.33.x, 127.0.34.x, 127.0.35.x and
/// <c>::1</c> (every IPv6 node shares it, each on its own port).
/// </summary>
[NonParallelizable]
public sealed class DualStackCliTests
{
    private LoopbackSwarm _swarm = null!;

    /// <summary>Ten of our nodes, each on 127.0.33.N and on [::1], joined over both families.</summary>
    [OneTimeSetUp]
    public async Task StartSwarm() => _swarm = await LoopbackSwarm.StartAsync("127.0.33", 10, ipv6: true);

    [OneTimeTearDown]
    public async Task StopSwarm() => await _swarm.DisposeAsync();

    [Test]
    public async Task A_node_bound_to_127_x_and_ipv6_loopback_joins_a_dual_stack_swarm()
    {
        ToolRun run = await Tool.RunAsync(
            "node", "--bind", "127.0.34.1", "--bind", "::1", "--port", "0",
            "--bootstrap", _swarm.Hub, "--bootstrap", _swarm.HubV6, "--duration", "3", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = run.LastJsonLine();
        JsonElement root = json.RootElement;
        string id = root.GetProperty("id").GetString()!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(root.GetProperty("address").GetString(), Does.StartWith("127.0.34.1:"));
            Assert.That(root.GetProperty("address_v6").GetString(), Does.StartWith("[::1]:"));
            Assert.That(root.GetProperty("routing_table_size_v4").GetInt32(), Is.GreaterThan(0), "its IPv4 table");
            Assert.That(root.GetProperty("routing_table_size_v6").GetInt32(), Is.GreaterThan(0), "its IPv6 table");
            Assert.That(root.GetProperty("routing_table_size").GetInt32(),
                Is.EqualTo(root.GetProperty("routing_table_size_v4").GetInt32() + root.GetProperty("routing_table_size_v6").GetInt32()));
            Assert.That(root.GetProperty("warnings").GetArrayLength(), Is.Zero);
            Assert.That(run.Stderr, Is.Empty);
        }

        // The swarm learned it on both families: one id, an IPv4 and an IPv6 endpoint.
        List<Routing.RoutingTableEntry> seen = [.. _swarm.Nodes.SelectMany(n => n.GetRoutingTable()).Where(e => e.Id.ToString() == id)];
        Assert.That(seen.Select(e => e.EndPoint.AddressFamily).Distinct(), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }));
    }

    [Test]
    public async Task A_dual_stack_node_names_both_endpoints_in_its_status_lines()
    {
        ToolRun run = await Tool.RunAsync(
            "node", "--bind", "127.0.34.2", "--bind", "::1", "--port", "0",
            "--bootstrap", _swarm.Hub, "--bootstrap", _swarm.HubV6, "--duration", "2");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        string[] lines = run.Stdout.TrimEnd().Split('\n');
        Assert.That(lines[0], Does.Match(@"^node [0-9a-f]{40} listening on 127\.0\.34\.2:\d+ and \[::1\]:\d+$"));
        Assert.That(lines[^1], Does.Match(@" at 127\.0\.34\.2:\d+ and \[::1\]:\d+: \d+ nodes \(\d+ IPv4, \d+ IPv6\), .*\(stopped\)$"));
    }

    [Test]
    public async Task Get_peers_with_an_ipv6_bootstrap_and_the_default_bind_finds_the_ipv6_peer()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(31));
        await _swarm.Nodes[4].AnnounceAsync(infoHash, 6100); // over both families

        // No --bind: a one-shot binds 0.0.0.0 and :: (ephemeral ports), so an IPv6 bootstrap works.
        ToolRun run = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bootstrap", _swarm.HubV6, "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.That(json.RootElement.GetProperty("peers").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "[::1]:6100" }),
            "joined over IPv6 alone, the lookup follows nodes6 and finds the peer its IPv6 nodes store");
        Assert.That(json.RootElement.GetProperty("report").GetProperty("closest_nodes").EnumerateArray().Select(n => n.GetProperty("family").GetString()),
            Has.All.EqualTo("ipv6"));
    }

    [Test]
    public async Task Get_peers_bound_to_both_families_finds_the_peer_of_each()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(32));
        await _swarm.Nodes[6].AnnounceAsync(infoHash, 6101);

        ToolRun run = await Tool.RunAsync(
            "get-peers", infoHash.ToString(), "--bind", "127.0.34.3", "--bind", "::1", "--bootstrap", _swarm.Hub, "--bootstrap", _swarm.HubV6);

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout.Trim().Split('\n'), Is.EquivalentTo(new[] { "127.0.33.7:6101", "[::1]:6101" }));
    }

    [Test]
    public async Task Announce_from_both_families_is_stored_by_the_nodes_of_each()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(33));
        ToolRun run = await Tool.RunAsync(
            "announce", infoHash.ToString(), "--peer-port", "7200", "--bind", "127.0.34.4", "--bind", "::1",
            "--bootstrap", _swarm.Hub, "--bootstrap", _swarm.HubV6, "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(root.GetProperty("port").GetInt32(), Is.EqualTo(7200));
            Assert.That(root.GetProperty("port_v6").GetInt32(), Is.EqualTo(7200));
            Assert.That(root.GetProperty("accepted").EnumerateArray().Select(n => n.GetProperty("family").GetString()).Distinct(),
                Is.EquivalentTo(new[] { "ipv4", "ipv6" }));
        }

        Lookups.PeerLookupResult found = await _swarm.Nodes[1].LookupPeersAsync(infoHash);
        Assert.That(found.Peers, Is.EquivalentTo(new[] { IPEndPoint.Parse("127.0.34.4:7200"), IPEndPoint.Parse("[::1]:7200") }));
    }

    [Test]
    public async Task Find_node_over_ipv6_lists_ipv6_nodes()
    {
        DhtNode wanted = _swarm.Nodes[3];
        ToolRun run = await Tool.RunAsync("find-node", wanted.Id.ToString(), "--bind", "::1", "--bootstrap", _swarm.HubV6, "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement closest = json.RootElement.GetProperty("nodes")[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(closest.GetProperty("id").GetString(), Is.EqualTo(wanted.Id.ToString()));
            Assert.That(closest.GetProperty("endpoint").GetString(), Is.EqualTo(wanted.LocalEndPointV6!.ToString()));
            Assert.That(closest.GetProperty("family").GetString(), Is.EqualTo("ipv6"));
        }
    }

    [Test]
    public async Task Ping_an_ipv6_node_in_brackets()
    {
        DhtNode hub = _swarm.Nodes[0];
        ToolRun run = await Tool.RunAsync("ping", _swarm.HubV6, "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(json.RootElement.GetProperty("endpoint").GetString(), Is.EqualTo(_swarm.HubV6));
            Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("response"));
            Assert.That(json.RootElement.GetProperty("id").GetString(), Is.EqualTo(hub.Id.ToString()));
        }

        ToolRun text = await Tool.RunAsync("ping", _swarm.HubV6, "--bind", "::1");
        Assert.That(text.ExitCode, Is.Zero, text.Stderr);
        Assert.That(text.Stdout, Does.StartWith($"{_swarm.HubV6}: id {hub.Id}"));
    }

    [Test]
    public async Task Ping_an_ipv6_node_with_only_an_ipv4_bind_is_one_error_line_and_exit_2()
    {
        ToolRun run = await Tool.RunAsync("ping", _swarm.HubV6, "--bind", "127.0.34.5");

        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stderr, Does.StartWith($"error: cannot ping {_swarm.HubV6}: no IPv6 address is bound"));
        Assert.That(run.Stdout, Is.Empty);
    }

    [TestCase("127.0.34.6", "127.0.34.7", "both IPv4 addresses")]
    [TestCase("::1", "::", "both IPv6 addresses")]
    [TestCase("127.0.34.6", "::1", "one or two addresses", "127.0.34.7")]
    public async Task Bind_given_twice_for_one_family_is_one_error_line_and_exit_2(string first, string second, string message, string? third = null)
    {
        string[] args = ["get-peers", NodeId.CreateRandom(new Random(34)).ToString(), "--bind", first, "--bind", second, "--bootstrap", _swarm.Hub];
        ToolRun run = await Tool.RunAsync(third is null ? args : [.. args, "--bind", third]);

        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stderr, Does.StartWith("error: --bind: ").And.Contain(message).And.Not.Contain("   at "));
        Assert.That(run.Stdout, Is.Empty);
    }

    [TestCase("127.0.35.1 ::1", TestName = "Swarm on 127.x and ::1 finds every infohash with peers of both families")]
    [TestCase("::1", TestName = "Swarm on ::1 alone finds every infohash")]
    public async Task Swarm_runs_on_ipv6_too(string addresses)
    {
        string[] binds = [.. addresses.Split(' ').SelectMany(a => new[] { "--bind", a })];
        ToolRun run = await Tool.RunAsync(["swarm", "--nodes", "12", .. binds, "--port", "0", "--json"]);

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        bool dual = binds.Length == 4;
        Assert.That(root.GetProperty("found_all").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("fresh_node_v6").GetString(), Does.StartWith("[::1]:"));
        foreach (JsonElement row in root.GetProperty("infohashes").EnumerateArray())
        {
            Assert.That(row.GetProperty("peer_v6").GetString(), Does.StartWith("[::1]:5000"));
            Assert.That(row.GetProperty("peer").GetString(), dual ? Does.StartWith("127.0.35.") : Does.StartWith("[::1]:5000"));
            Assert.That(row.GetProperty("peers").GetInt32(), Is.EqualTo(dual ? 2 : 1), "the announced peer of each family");
        }
    }
}
