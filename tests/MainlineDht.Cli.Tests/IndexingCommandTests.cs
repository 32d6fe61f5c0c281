using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MainlineDht.Cli.Tests.Support;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// <c>crawl</c>, <c>scrape</c> and <c>node --watch</c> as scripts use them, against a swarm of our
/// nodes on 127.0.35.x in the test process.
/// </summary>
[NonParallelizable]
public sealed class IndexingCommandTests
{
    private const int Announced = 30;

    private LoopbackSwarm _swarm = null!;
    private readonly HashSet<string> _infoHashes = [];
    private NodeId _scraped;

    [OneTimeSetUp]
    public async Task StartSwarm()
    {
        _swarm = await LoopbackSwarm.StartAsync("127.0.35", 16);
        var random = new Random(35);
        for (int i = 0; i < Announced; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(random);
            await _swarm.Nodes[i % _swarm.Nodes.Count].AnnounceAsync(infoHash, 6000 + i);
            _infoHashes.Add(infoHash.ToString());
        }

        // 3 seeds and 5 downloaders, each from its own address.
        _scraped = NodeId.CreateRandom(random);
        for (int i = 0; i < 8; i++)
        {
            await _swarm.Nodes[i + 2].AnnounceAsync(_scraped, 7000 + i, impliedPort: false, seed: i < 3);
        }

        _infoHashes.Add(_scraped.ToString());
    }

    [OneTimeTearDown]
    public async Task StopSwarm() => await _swarm.DisposeAsync();

    [Test]
    public async Task Crawl_prints_every_infohash_once_one_per_line_and_exits_0()
    {
        ToolRun run = await Tool.RunAsync("crawl", "--duration", "4", "--rate", "200", "--bind", "127.0.35.101", "--bootstrap", _swarm.Hub);
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        string[] lines = run.Stdout.TrimEnd().Split('\n');
        Assert.That(lines, Is.Unique);
        Assert.That(lines, Is.EquivalentTo(_infoHashes), "every announced infohash, and nothing else");
        Assert.That(run.Stderr, Is.Empty);
    }

    [Test]
    public async Task Crawl_json_is_one_document_at_the_end()
    {
        ToolRun run = await Tool.RunAsync("crawl", "--duration", "3", "--rate", "200", "--bind", "127.0.35.102", "--bootstrap", _swarm.Hub, "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(root.GetProperty("infohashes").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(_infoHashes));
            Assert.That(root.GetProperty("nodes_queried").GetInt64(), Is.InRange(1, _swarm.Nodes.Count));
            Assert.That(root.GetProperty("nodes_with_samples").GetInt64(), Is.InRange(1, _swarm.Nodes.Count));
            Assert.That(root.GetProperty("samples").GetInt64(), Is.GreaterThanOrEqualTo(_infoHashes.Count));
            Assert.That(root.GetProperty("duration_s").GetDouble(), Is.EqualTo(3).Within(1));
            Assert.That(root.GetProperty("warnings").GetArrayLength(), Is.Zero);
        }
    }

    [TestCase("--rate", "0")]
    [TestCase("--duration", "-1")]
    public async Task Crawl_with_a_bad_value_is_one_error_line_and_exit_2(string option, string value)
    {
        ToolRun run = await Tool.RunAsync("crawl", option, value, "--bind", "127.0.35.103", "--bootstrap", _swarm.Hub);
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stderr, Does.StartWith($"error: {option}"));
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public async Task Scrape_prints_seeds_and_peers()
    {
        ToolRun run = await Tool.RunAsync("scrape", $"magnet:?xt=urn:btih:{_scraped}", "--bind", "127.0.35.104", "--bootstrap", _swarm.Hub);
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout.TrimEnd().Split('\n'), Is.EqualTo(new[] { "seeds 3", "peers 5" }));
    }

    [Test]
    public async Task Scrape_json_has_the_counts_and_the_report_and_an_unknown_infohash_exits_1()
    {
        ToolRun run = await Tool.RunAsync("scrape", _scraped.ToString(), "--bind", "127.0.35.105", "--bootstrap", _swarm.Hub, "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using (JsonDocument json = JsonDocument.Parse(run.Stdout))
        {
            JsonElement root = json.RootElement;
            Assert.That(root.GetProperty("infohash").GetString(), Is.EqualTo(_scraped.ToString()));
            Assert.That((root.GetProperty("seeds").GetInt32(), root.GetProperty("peers").GetInt32()), Is.EqualTo((3, 5)));
            Assert.That(root.GetProperty("report").GetProperty("nodes_queried").GetInt32(), Is.GreaterThan(0));
        }

        ToolRun unknown = await Tool.RunAsync("scrape", NodeId.CreateRandom(new Random(99)).ToString(), "--bind", "127.0.35.106", "--bootstrap", _swarm.Hub);
        Assert.That(unknown.ExitCode, Is.EqualTo(1), unknown.Stderr);
        Assert.That(unknown.Stdout.TrimEnd().Split('\n'), Is.EqualTo(new[] { "seeds 0", "peers 0" }));
    }

    [TestCase(false, "127.0.35.110", TestName = "Node_watch_prints_each_announce_it_accepts_as_it_comes")]
    [TestCase(true, "127.0.35.111", TestName = "Node_watch_with_json_prints_each_announce_as_a_json_line_among_the_status_lines")]
    [CancelAfter(60_000)]
    public async Task Node_watch(bool json, string bind)
    {
        using Process node = json
            ? Tool.Start("node", "--watch", "--json", "--bind", bind, "--port", "7411", "--bootstrap", _swarm.Hub)
            : Tool.Start("node", "--watch", "--bind", bind, "--port", "7411", "--bootstrap", _swarm.Hub);
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        try
        {
            var at = new IPEndPoint(IPAddress.Parse(bind), 7411);
            DhtNode announcer = _swarm.Nodes[5];
            NodeId infoHash = NodeId.CreateRandom(new Random(36));
            RpcResult got = await UntilAnsweredAsync(() => announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, at));
            RpcResult announced = await announcer.SendQueryAsync(new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 51413, Token = got.Response!.Token.ToArray() }, at);
            Assert.That(announced.Status, Is.EqualTo(RpcStatus.Response));

            string peer = $"{announcer.LocalEndPoint.Address}:51413";
            string expected = json ? $"{{\"announce\":\"{infoHash}\",\"peer\":\"{peer}\",\"seed\":false," : $" announce {infoHash} {peer}";
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? line;
            do
            {
                line = await node.StandardOutput.ReadLineAsync(timeout.Token);
            }
            while (line is not null && !(json ? line.StartsWith(expected, StringComparison.Ordinal) : line.EndsWith(expected, StringComparison.Ordinal)));

            Assert.That(line, Is.Not.Null, "a line for the announce, as it came");
            if (json)
            {
                using JsonDocument document = JsonDocument.Parse(line!);
                Assert.That(document.RootElement.GetProperty("time").GetString(), Does.EndWith("Z"));
            }
            else
            {
                Assert.That(line, Does.Match(@"^\d\d:\d\d:\d\d announce "));
            }
        }
        finally
        {
            await Tool.SignalAsync(node, "TERM");
            await node.StandardOutput.ReadToEndAsync();
            await node.WaitForExitAsync();
        }

        Assert.That(node.ExitCode, Is.Zero, await stderr);
    }

    [Test]
    public async Task Simulate_crawl_reports_what_a_simulated_crawl_found()
    {
        ToolRun run = await Tool.RunAsync("simulate", "--crawl", "--nodes", "200", "--infohashes", "300", "--crawl-minutes", "5", "--rate", "50", "--seed", "2", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        JsonElement root = json.RootElement;
        Assert.That((root.GetProperty("nodes").GetInt32(), root.GetProperty("infohashes").GetInt32(), root.GetProperty("rate").GetDouble()), Is.EqualTo((200, 300, 50.0)));
        Assert.That(root.GetProperty("found").GetInt32(), Is.EqualTo(300));
        Assert.That(root.GetProperty("new_per_minute").EnumerateArray().Sum(e => e.GetInt32()), Is.EqualTo(300));
        Assert.That(root.GetProperty("queries_per_infohash").GetDouble(), Is.GreaterThan(0));

        ToolRun bad = await Tool.RunAsync("simulate", "--crawl", "--rate", "0");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Stderr, Does.StartWith("error: --rate"));
    }

    /// <summary>The node process takes a moment to bind: asks until it answers (at most 20 s).</summary>
    private static async Task<RpcResult> UntilAnsweredAsync(Func<Task<RpcResult>> query)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            RpcResult result = await query();
            if (result.Status == RpcStatus.Response || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return result;
            }

            await Task.Delay(200);
        }
    }
}
