using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MainlineDht.Protocol;
using SkiaSharp;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// What the command shows besides its figures: the path of a lookup (<c>--trace</c>), the picture of a
/// simulation (<c>simulate --plot</c>), and a running node's status (JSON lines, or a live view on a terminal).
/// </summary>
[NonParallelizable]
public sealed partial class PicturesTests
{
    private LoopbackSwarm _swarm = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task StartSwarm() => _swarm = await LoopbackSwarm.StartAsync("127.0.41", 24);

    [OneTimeTearDown]
    public async Task StopSwarm() => await _swarm.DisposeAsync();

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("mainline-dht-pictures-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Get_peers_trace_names_every_node_the_report_counted_round_by_round_then_the_peers()
    {
        NodeId infoHash = NodeId.CreateRandom(new Random(41));
        await _swarm.Nodes[9].AnnounceAsync(infoHash, 6041);

        ToolRun json = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bind", "127.0.42.1", "--bootstrap", _swarm.Hub, "--trace", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.Stderr);
        using JsonDocument document = JsonDocument.Parse(json.Stdout);
        JsonElement[] trace = [.. document.RootElement.GetProperty("trace").EnumerateArray()];
        int queried = document.RootElement.GetProperty("report").GetProperty("nodes_queried").GetInt32();
        Assert.That(trace, Has.Length.EqualTo(queried), "one trace entry per query the report counted");
        Assert.That(trace.Select(e => e.GetProperty("round").GetInt32()), Is.All.GreaterThanOrEqualTo(1));
        Assert.That(trace.Count(e => e.GetProperty("values").GetInt32() > 0), Is.GreaterThan(0), "a node returned the peer");
        foreach (JsonElement entry in trace.Where(e => e.GetProperty("status").GetString() == "response"))
        {
            NodeId id = NodeId.Parse(entry.GetProperty("id").GetString()!);
            Assert.That(entry.GetProperty("shared_prefix_bits").GetInt32(), Is.EqualTo(id.CommonPrefixLength(infoHash)));
            Assert.That(entry.GetProperty("rtt_ms").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(_swarm.Nodes.Select(n => n.LocalEndPoint.ToString()), Does.Contain(entry.GetProperty("endpoint").GetString()));
        }

        ToolRun text = await Tool.RunAsync("get-peers", infoHash.ToString(), "--bind", "127.0.42.2", "--bootstrap", _swarm.Hub, "--trace");
        Assert.That(text.ExitCode, Is.Zero, text.Stderr);
        string[] lines = text.Stdout.TrimEnd().Split('\n');
        Match summary = Summary().Match(lines[0]);
        Assert.That(summary.Success, Is.True, lines[0]);
        int asked = int.Parse(summary.Groups["asked"].Value, System.Globalization.CultureInfo.InvariantCulture);
        string[] queries = [.. lines.Skip(2).TakeWhile(l => l.Length > 0)];
        Assert.That(queries, Has.Length.EqualTo(asked), "one line per node asked");
        Assert.That(queries.Select(q => Query().Match(q)), Is.All.Matches<Match>(m => m!.Success), string.Join('\n', queries));
        foreach (string query in queries)
        {
            Match m = Query().Match(query);
            Assert.That(_swarm.Nodes.Select(n => n.LocalEndPoint.ToString()), Does.Contain(m.Groups["endpoint"].Value), "every node asked is named by its address");
            Assert.That(_swarm.Nodes.Select(n => n.Id.ToString()), Does.Contain(m.Groups["id"].Value), "and by its id");
        }

        Assert.That(lines[^1], Is.EqualTo($"{_swarm.Nodes[9].LocalEndPoint.Address}:6041"), "the peers follow the trace, as without it");
        Assert.That(text.Stdout, Does.Not.Contain('\u001b'));
    }

    [Test]
    public async Task Find_node_trace_lists_the_queries_and_without_trace_the_json_has_no_trace_key()
    {
        NodeId target = _swarm.Nodes[17].Id;
        ToolRun traced = await Tool.RunAsync("find-node", target.ToString(), "--bind", "127.0.42.3", "--bootstrap", _swarm.Hub, "--trace", "--json");
        Assert.That(traced.ExitCode, Is.Zero, traced.Stderr);
        using JsonDocument document = JsonDocument.Parse(traced.Stdout);
        JsonElement trace = document.RootElement.GetProperty("trace");
        Assert.That(trace.GetArrayLength(), Is.EqualTo(document.RootElement.GetProperty("report").GetProperty("nodes_queried").GetInt32()));
        Assert.That(trace.EnumerateArray().Select(e => e.GetProperty("shared_prefix_bits")).Where(b => b.ValueKind == JsonValueKind.Number).Select(b => b.GetInt32()),
            Does.Contain(NodeId.Bits), "the target itself was asked: all 160 bits shared");

        ToolRun plain = await Tool.RunAsync("find-node", target.ToString(), "--bind", "127.0.42.4", "--bootstrap", _swarm.Hub, "--json");
        using JsonDocument untraced = JsonDocument.Parse(plain.Stdout);
        Assert.That(untraced.RootElement.TryGetProperty("trace", out _), Is.False, "the document is as it was without --trace");
    }

    [Test]
    public async Task Simulate_plot_writes_a_png_that_decodes()
    {
        string png = Path.Combine(_directory, "out.png");
        ToolRun run = await Tool.RunAsync("simulate", "--nodes", "300", "--lookups", "50", "--plot", png);
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout, Does.Contain("success rate"), "the table is printed as without --plot");
        Assert.That(run.Stderr, Does.Contain($"plot written to {png}"));

        byte[] bytes = await File.ReadAllBytesAsync(png);
        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }), "the PNG signature");
        using SKBitmap image = SKBitmap.Decode(bytes);
        Assert.That(image, Is.Not.Null, "the file decodes");
        Assert.That((image.Width, image.Height), Is.EqualTo((1200, 480)));
        int distinct = Enumerable.Range(0, 60).Select(i => image.GetPixel(i * 20, 240)).Distinct().Count();
        Assert.That(distinct, Is.GreaterThan(1), "something is drawn");
        TestContext.AddTestAttachment(png, "simulate --plot");
    }

    [Test]
    public async Task Simulate_plot_writes_svg_by_extension_and_refuses_another_extension()
    {
        string svg = Path.Combine(_directory, "out.svg");
        ToolRun run = await Tool.RunAsync("simulate", "--nodes", "100", "--lookups", "10", "--plot", svg, "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        using (JsonDocument.Parse(run.Stdout))
        {
            // stdout is still the one JSON document
        }

        string text = await File.ReadAllTextAsync(svg);
        Assert.That(text, Does.Contain("<svg").And.Contain("width=\"1200\""));

        ToolRun refused = await Tool.RunAsync("simulate", "--nodes", "100", "--lookups", "10", "--plot", Path.Combine(_directory, "out.gif"));
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Stderr.Trim(), Does.StartWith("error: --plot:").And.Contain(".png or .svg"));
    }

    [Test]
    public async Task Node_json_prints_one_status_object_per_line_and_the_final_one_last()
    {
        ToolRun run = await Tool.RunAsync("node", "--bind", "127.0.42.5", "--port", "0", "--bootstrap", _swarm.Hub, "--duration", "6", "--json");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        string[] lines = run.Stdout.TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(3), "one line at the join, one 5 s later, the final one at the stop");
        JsonDocument[] statuses = [.. lines.Select(l => JsonDocument.Parse(l))];
        try
        {
            foreach (JsonDocument status in statuses)
            {
                JsonElement s = status.RootElement;
                Assert.That(s.EnumerateObject().Select(p => p.Name).Take(6), Is.EqualTo(new[] { "id", "address", "routing_table_size", "queries_served", "stored_peers", "warnings" }), "the keys the command always printed, first");
                Assert.That(s.GetProperty("joined").GetBoolean(), Is.True);
                Assert.That(s.GetProperty("routing_table_by_depth").EnumerateArray().Sum(d => d.GetInt32()), Is.EqualTo(s.GetProperty("routing_table_size").GetInt32()));
                Assert.That(s.GetProperty("queries_sent").GetInt64(), Is.GreaterThan(0));
                Assert.That(s.GetProperty("queries_received_per_second").GetDouble(), Is.GreaterThanOrEqualTo(0));
            }

            Assert.That(statuses.Select(s => s.RootElement.GetProperty("stopped").GetBoolean()), Is.EqualTo(new[] { false, false, true }));
            Assert.That(statuses.Select(s => s.RootElement.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1));
        }
        finally
        {
            foreach (JsonDocument status in statuses)
            {
                status.Dispose();
            }
        }
    }

    /// <summary>On a terminal (a pseudo-terminal from script(1)) <c>node</c> redraws a view: state, rates, stored peers, the table by depth.</summary>
    [Test]
    public async Task Node_on_a_terminal_shows_a_live_view_and_ends_with_its_status_line()
    {
        Assert.That(File.Exists("/usr/bin/script"), Is.True, "script(1) (util-linux) makes the pseudo-terminal");
        string dll = Path.Combine(AppContext.BaseDirectory, "mainline-dht.dll");
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string arg in (string[])["-qec", $"dotnet '{dll}' node --bind 127.0.42.6 --port 0 --bootstrap {_swarm.Hub} --no-public-routers --duration 3", "/dev/null"])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("NO_COLOR");
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        string screen = await stdout;
        Assert.That(process.ExitCode, Is.Zero, screen);
        Assert.Multiple(() =>
        {
            Assert.That(screen, Does.Contain("\u001b[?25l"), "the view hides the cursor while it redraws");
            Assert.That(screen, Does.Contain("state").And.Contain("joined"));
            Assert.That(screen, Does.Contain("queries in").And.Contain("queries out").And.Contain("/s ("));
            Assert.That(screen, Does.Contain("stored peers"));
            Assert.That(screen, Does.Contain("routing table by bucket depth").And.Contain("█"));
            Assert.That(screen.TrimEnd(), Does.EndWith("(stopped)"));
        });
    }

    [GeneratedRegex(@"^lookup of [0-9a-f]{40}: (?<asked>\d+) nodes asked, \d+ replies, \d+ errors, \d+ timeouts, \d+ round trips, \d+ ms$")]
    private static partial Regex Summary();

    [GeneratedRegex(@"^ +(\d+)? +\+\d+ ms +(?<id>[0-9a-f]{40}|\(id unknown\)) +(?<endpoint>[0-9.]+:\d+) +(\d+|-) +(\d+ ms|-) +\S")]
    private static partial Regex Query();
}
