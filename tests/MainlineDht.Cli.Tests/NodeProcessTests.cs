using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// <c>mainline-dht node</c> as a long-running process: stopped by a signal it saves its state and
/// says so, and a restart rejoins from that state alone; what goes wrong on the way is one
/// <c>warning: …</c> line on stderr (and in its JSON).
/// </summary>
[NonParallelizable]
public sealed partial class NodeProcessTests
{
    private LoopbackSwarm _swarm = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task StartSwarm() => _swarm = await LoopbackSwarm.StartAsync("127.0.27", 8);

    [OneTimeTearDown]
    public async Task StopSwarm() => await _swarm.DisposeAsync();

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("mainline-dht-cli-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [TestCase("TERM", "127.0.27.101")]
    [TestCase("INT", "127.0.27.102")]
    public async Task A_signal_stops_the_node_gracefully_and_it_rejoins_from_its_state_with_no_bootstrap(string signal, string bind)
    {
        string state = Path.Combine(_directory, "state.json");
        using Process node = Tool.Start("node", "--state", state, "--bind", bind, "--port", "7301", "--bootstrap", _swarm.Hub);
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        string id = await WaitForTableAsync(node, TimeSpan.FromSeconds(60));

        await Tool.SignalAsync(node, signal);
        string rest = await node.StandardOutput.ReadToEndAsync();
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await node.WaitForExitAsync(exit.Token);
        }

        string errors = await stderr;
        Assert.Multiple(() =>
        {
            Assert.That(node.ExitCode, Is.Zero, errors);
            Assert.That(errors, Is.Empty);
            Assert.That(rest.TrimEnd().Split('\n')[^1], Does.Contain($"id {id}").And.EndsWith("(stopped)"), "a final status line");
        });

        Assert.That(DhtNodeState.TryLoad(state, out DhtNodeState? saved, out string? problem), Is.True, problem);
        Assert.That(saved!.NodeId.ToString(), Is.EqualTo(id));
        Assert.That(saved.Nodes, Is.Not.Empty);

        // No --bootstrap and no public routers: the saved nodes are all it has.
        ToolRun again = await Tool.RunAsync("node", "--state", state, "--bind", bind, "--port", "7301", "--no-public-routers", "--duration", "3", "--json");
        Assert.That(again.ExitCode, Is.Zero, again.Stderr);
        using JsonDocument json = again.LastJsonLine();
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("id").GetString(), Is.EqualTo(id));
            Assert.That(json.RootElement.GetProperty("routing_table_size").GetInt32(), Is.GreaterThan(0));
            Assert.That(json.RootElement.GetProperty("warnings").GetArrayLength(), Is.Zero);
            Assert.That(again.Stderr, Is.Empty);
        });
    }

    [Test]
    public async Task A_corrupt_state_file_is_one_warning_line_naming_it_and_where_it_was_moved()
    {
        string state = Path.Combine(_directory, "state.json");
        await File.WriteAllTextAsync(state, "not a state file");
        ToolRun run = await Tool.RunAsync("node", "--state", state, "--bind", "127.0.27.103", "--port", "0", "--bootstrap", _swarm.Hub, "--duration", "1", "--json");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        string aside = Directory.GetFiles(_directory, "state.json.bad-*").Single();
        Assert.That(await File.ReadAllTextAsync(aside), Is.EqualTo("not a state file"));
        string[] lines = run.Stderr.TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), run.Stderr);
        Assert.That(lines[0], Does.StartWith("warning: ").And.Contain(state).And.Contain(aside));
        using JsonDocument json = run.LastJsonLine();
        Assert.That(json.RootElement.GetProperty("warnings").EnumerateArray().Select(w => "warning: " + w.GetString()), Is.EqualTo(lines));
    }

    [Test]
    public async Task A_state_that_cannot_be_saved_is_a_warning_line()
    {
        // The state's directory is a file: the save at stop fails.
        string blocker = Path.Combine(_directory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, string.Empty);
        string state = Path.Combine(blocker, "state.json");
        ToolRun run = await Tool.RunAsync("node", "--state", state, "--bind", "127.0.27.104", "--port", "0", "--bootstrap", _swarm.Hub, "--duration", "1");

        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        string[] lines = run.Stderr.TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), run.Stderr);
        Assert.That(lines[0], Does.StartWith("warning: could not save").And.Contain(state));
        Assert.That(run.Stdout.TrimEnd().Split('\n')[^1], Does.EndWith("(stopped)"));
    }

    [Test]
    public async Task A_join_that_finds_no_node_is_a_warning_line_and_the_node_keeps_running()
    {
        using Process node = Tool.Start("node", "--bind", "127.0.27.105", "--port", "0", "--bootstrap", "127.0.27.254:9");
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line = await node.StandardError.ReadLineAsync(timeout.Token);
        Assert.That(line, Does.StartWith("warning: join found no node: none answered (127.0.27.254:9)"));
        Assert.That(node.HasExited, Is.False);

        await Tool.SignalAsync(node, "TERM");
        await node.WaitForExitAsync(timeout.Token);
        Assert.That(node.ExitCode, Is.Zero);
        Assert.That((await stdout).TrimEnd().Split('\n')[^1], Does.EndWith("(stopped)"));
    }

    [Test]
    public async Task A_signal_ends_the_serving_period_of_a_swarm_gracefully()
    {
        using Process swarm = Tool.Start("swarm", "--nodes", "4", "--bind", "127.0.27.111", "--port", "0", "--duration", "300");
        Task<string> stderr = swarm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        do
        {
            line = await swarm.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Is.Not.Null, "the swarm ended before it served");
        }
        while (!line!.StartsWith("serving for", StringComparison.Ordinal));

        await Tool.SignalAsync(swarm, "TERM");
        string rest = await swarm.StandardOutput.ReadToEndAsync(timeout.Token);
        await swarm.WaitForExitAsync(timeout.Token);
        Assert.That(swarm.ExitCode, Is.Zero, await stderr);
        Assert.That(rest.Trim(), Is.EqualTo("stopped"));
    }

    /// <summary>Reads status lines until the routing table holds a node; returns the node's id.</summary>
    private static async Task<string> WaitForTableAsync(Process node, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            string? line = await node.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Is.Not.Null, "the node process ended before its table filled");
            Match status = StatusLine().Match(line!);
            if (status.Success && int.Parse(status.Groups["nodes"].Value, CultureInfo.InvariantCulture) > 0)
            {
                return status.Groups["id"].Value;
            }
        }
    }

    [GeneratedRegex(@" id (?<id>[0-9a-f]{40}) at \S+: (?<nodes>\d+) nodes,")]
    private static partial Regex StatusLine();
}
