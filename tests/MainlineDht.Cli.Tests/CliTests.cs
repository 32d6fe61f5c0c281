using System.Net;
using System.Text.Json;
using MainlineDht.Protocol;
using MainlineDht.Transport;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>The <c>mainline-dht</c> command as scripts use it: exit codes, stdout, stderr, JSON.</summary>
[NonParallelizable]
public sealed class CliTests
{
    private readonly List<DhtNode> _nodes = [];
    private DhtNode _hub = null!;

    /// <summary>A small network of our nodes on 127.0.20.x for the commands to join.</summary>
    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        for (int i = 1; i <= 12; i++)
        {
            DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
            {
                BindEndPoint = new IPEndPoint(IPAddress.Parse($"127.0.20.{i}"), 0),
                BootstrapNodes = _nodes.Count == 0 ? [] : [_nodes[0].LocalEndPoint.ToString()],
                UsePublicRouters = false,
                SendPolicy = SendPolicy.LoopbackOnly(),
                QueriesPerSecondPerIp = 0,
            });
            _nodes.Add(node);
            if (i > 1)
            {
                await node.JoinAsync();
            }
        }

        _hub = _nodes[0];
    }

    [OneTimeTearDown]
    public async Task StopNetwork()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private string Hub => _hub.LocalEndPoint.ToString();

    [Test]
    public async Task Get_peers_prints_one_peer_per_line_and_exits_0()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(1));
        await _nodes[5].AnnounceAsync(infoHash, 6000);
        ToolRun run = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bind", "127.0.21.1", "--port", "0", "--bootstrap", Hub);
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout.Trim().Split('\n'), Is.EqualTo(new[] { $"{_nodes[5].LocalEndPoint.Address}:6000" }));
    }

    [Test]
    public async Task Get_peers_json_has_peers_and_the_lookup_report_and_nothing_else_on_stdout()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(2));
        await _nodes[7].AnnounceAsync(infoHash, 6001);
        ToolRun run = await Tool.RunAsync("get-peers", $"magnet:?xt=urn:btih:{infoHash}&dn=test", "--bind", "127.0.21.2", "--bootstrap", Hub, "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.That(json.RootElement.GetProperty("peers").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { $"{_nodes[7].LocalEndPoint.Address}:6001" }));
        Assert.That(json.RootElement.GetProperty("report").GetProperty("nodes_queried").GetInt32(), Is.GreaterThan(0));
    }

    [Test]
    public async Task Get_peers_json_gives_the_time_to_the_first_peer_and_null_without_one()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(21));
        await _nodes[5].AnnounceAsync(infoHash, 6021);
        ToolRun run = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bind", "127.0.21.11", "--bootstrap", Hub, "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement report = json.RootElement.GetProperty("report");
        double elapsed = report.GetProperty("elapsed_ms").GetDouble();
        Assert.That(json.RootElement.GetProperty("first_peer_ms").GetDouble(), Is.InRange(0, elapsed));
        Assert.That(report.GetProperty("first_peer_ms").GetDouble(), Is.EqualTo(json.RootElement.GetProperty("first_peer_ms").GetDouble()));
        Assert.That(report.GetProperty("closest_ms").GetDouble(), Is.InRange(0, elapsed));
        Assert.That(report.GetProperty("nodes_queried").GetInt32(), Is.GreaterThan(0), "the keys that were there stay");

        ToolRun none = await Tool.RunAsync("get-peers", NodeId.CreateRandom(new Random(22)).ToString(), "--bind", "127.0.21.12", "--bootstrap", Hub, "--json");
        Assert.That(none.ExitCode, Is.EqualTo(1));
        using JsonDocument empty = JsonDocument.Parse(none.Stdout);
        Assert.That(empty.RootElement.GetProperty("first_peer_ms").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(empty.RootElement.GetProperty("report").GetProperty("first_peer_ms").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Get_peers_with_no_peer_exits_1()
    {
        ToolRun run = await Tool.RunAsync("get-peers", NodeId.CreateRandom(new Random(3)).ToString(), "--bind", "127.0.21.3", "--bootstrap", Hub);
        Assert.That(run.ExitCode, Is.EqualTo(1));
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public async Task Announce_then_get_peers_from_another_process_finds_it()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(4));
        ToolRun announce = await Tool.RunAsync("announce", infoHash.ToString(), "--peer-port", "7123", "--bind", "127.0.21.4", "--bootstrap", Hub, "--json");
        Assert.That(announce.ExitCode, Is.Zero, announce.Stderr);
        using JsonDocument json = JsonDocument.Parse(announce.Stdout);
        Assert.That(json.RootElement.GetProperty("accepted").GetArrayLength(), Is.GreaterThan(0));
        Assert.That(json.RootElement.GetProperty("accepted")[0].GetProperty("family").GetString(), Is.EqualTo("ipv4"));

        ToolRun found = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bind", "127.0.21.5", "--bootstrap", Hub);
        Assert.That(found.Stdout, Does.Contain("127.0.21.4:7123"));
    }

    [Test]
    public async Task Find_node_and_ping_work_against_a_running_node()
    {
        ToolRun find = await Tool.RunAsync("find-node", _nodes[3].Id.ToString(), "--bind", "127.0.21.6", "--bootstrap", Hub, "--json");
        Assert.That(find.ExitCode, Is.Zero, find.Stderr);
        using JsonDocument json = JsonDocument.Parse(find.Stdout);
        Assert.That(json.RootElement.GetProperty("nodes")[0].GetProperty("id").GetString(), Is.EqualTo(_nodes[3].Id.ToString()));
        Assert.That(json.RootElement.GetProperty("nodes")[0].GetProperty("family").GetString(), Is.EqualTo("ipv4"), "each node says its address family");
        Assert.That(json.RootElement.GetProperty("report").GetProperty("closest_nodes")[0].GetProperty("family").GetString(), Is.EqualTo("ipv4"));

        ToolRun ping = await Tool.RunAsync("ping", Hub, "--bind", "127.0.21.7", "--json");
        Assert.That(ping.ExitCode, Is.Zero, ping.Stderr);
        using JsonDocument pong = JsonDocument.Parse(ping.Stdout);
        Assert.That(pong.RootElement.GetProperty("id").GetString(), Is.EqualTo(_hub.Id.ToString()));
    }

    [Test]
    public async Task A_node_command_serves_and_reports_as_json()
    {
        ToolRun run = await Tool.RunAsync("node", "--bind", "127.0.21.8", "--port", "0", "--bootstrap", Hub, "--duration", "2", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = run.LastJsonLine();
        Assert.That(json.RootElement.GetProperty("routing_table_size").GetInt32(), Is.GreaterThan(0));
        Assert.That(json.RootElement.GetProperty("health").GetString(), Is.EqualTo("stopped"), "the last line is the stopped node's");
        JsonElement bootstrap = json.RootElement.GetProperty("bootstrap")[0];
        Assert.That((bootstrap.GetProperty("name").GetString(), bootstrap.GetProperty("answered").GetBoolean()), Is.EqualTo((Hub, true)), "what became of each bootstrap name");
    }

    [Test]
    public async Task Ip_diversity_is_an_option_of_every_command_that_runs_a_node()
    {
        ToolRun find = await Tool.RunAsync("find-node", _nodes[3].Id.ToString(), "--bind", "127.0.21.9", "--bootstrap", Hub, "--ip-diversity", "all", "--json");
        Assert.That(find.ExitCode, Is.Zero, find.Stderr);

        ToolRun bad = await Tool.RunAsync("find-node", _nodes[3].Id.ToString(), "--bind", "127.0.21.9", "--bootstrap", Hub, "--ip-diversity", "some");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Stderr.Trim(), Is.EqualTo("error: --ip-diversity: 'some' is not all, public or off."));
    }

    [Test]
    public async Task Swarm_finds_every_infohash_it_announced()
    {
        ToolRun run = await Tool.RunAsync("swarm", "--nodes", "24", "--bind", "127.0.22.1", "--port", "0", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.That(json.RootElement.GetProperty("found_all").GetBoolean(), Is.True);
        Assert.That(json.RootElement.GetProperty("infohashes").GetArrayLength(), Is.EqualTo(5));
    }

    [TestCase("get-peers", "not-a-hash", "is not an infohash")]
    [TestCase("find-node", "123", "is not a node id")]
    [TestCase("ping", "nohostport", "is not host:port")]
    public async Task Bad_input_gives_one_clear_line_on_stderr_and_exit_2(string command, string argument, string message)
    {
        ToolRun run = await Tool.RunAsync(command, argument, "--bind", "127.0.21.9");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stderr, Does.Contain(message).And.Not.Contain("   at "));
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public async Task An_unreachable_bootstrap_gives_one_error_line_and_exit_2()
    {
        ToolRun run = await Tool.RunAsync("get-peers", NodeId.CreateRandom(new Random(5)).ToString(), "--bind", "127.0.21.10", "--bootstrap", "127.0.21.254:9", "--timeout", "5");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        string[] lines = run.Stderr.TrimEnd().Split('\n');
        Assert.That(lines[^1], Does.StartWith("error: could not join the DHT: no node answered (127.0.21.254:9)"));
        Assert.That(lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal)), Is.EqualTo(1), run.Stderr);
        Assert.That(lines[..^1], Has.All.StartWith("warning: "), "anything before the error is a warning line");
        Assert.That(run.Stderr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task A_port_in_use_gives_one_line_and_exit_2()
    {
        ToolRun run = await Tool.RunAsync("node", "--bind", _hub.LocalEndPoint.Address.ToString(), "--port", _hub.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "1");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.Trim(), Does.StartWith("error: cannot bind").And.Not.Contain("   at "));
    }
    [Test]
    public async Task Simulate_json_has_the_keys_scripts_read()
    {
        ToolRun run = await Tool.RunAsync("simulate", "--nodes", "300", "--lookups", "30", "--seed", "5", "--latency", "50-300", "--loss", "0.05", "--dead", "0.2", "--churn", "0.1", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("success_rate").GetDouble(), Is.InRange(0.9, 1.0));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p50").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p90").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("lookup_ms").GetProperty("p99").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("first_peer_ms").GetProperty("p50").GetDouble(), Is.GreaterThan(0).And.LessThanOrEqualTo(root.GetProperty("lookup_ms").GetProperty("p50").GetDouble()));
            Assert.That(root.GetProperty("first_peer_ms").GetProperty("p99").GetDouble(), Is.GreaterThanOrEqualTo(root.GetProperty("first_peer_ms").GetProperty("p90").GetDouble()));
            Assert.That(root.GetProperty("messages_per_lookup").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("wall_seconds").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("peak_memory_mb").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("nodes").GetInt32(), Is.EqualTo(300));
            Assert.That(root.GetProperty("nodes_left").GetInt32(), Is.EqualTo(30));
        });
    }

    [Test]
    public async Task Simulate_prints_a_table()
    {
        ToolRun run = await Tool.RunAsync("simulate", "--nodes", "100", "--lookups", "10");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout, Does.Contain("success rate").And.Contain("lookup time").And.Contain("peak memory"));
    }

    [Test]
    public async Task Simulate_with_sybils_and_poisoners_adds_their_keys()
    {
        ToolRun run = await Tool.RunAsync("simulate", "--nodes", "300", "--lookups", "20", "--sybil", "0.05", "--poison", "0.05", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("sybil_share_of_closest").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("sybil_nodes").GetInt32(), Is.EqualTo(15));
            Assert.That(root.GetProperty("poison_nodes").GetInt32(), Is.EqualTo(15));
            Assert.That(root.GetProperty("public_addresses").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("success_rate").GetDouble(), Is.InRange(0.0, 1.0), "and every key of before");
        });
    }

    [TestCase("--sybil", "0.7", "--sybil")]
    [TestCase("--loss", "1.5", "--loss")]
    [TestCase("--nodes", "1", "--nodes")]
    [TestCase("--latency", "300-50", "--latency")]
    public async Task Simulate_reports_a_bad_option_in_one_line(string option, string value, string named)
    {
        ToolRun run = await Tool.RunAsync("simulate", option, value);
        Assert.That(run.ExitCode, Is.Not.Zero);
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stderr, Does.StartWith($"error: {named}"));
    }
}
