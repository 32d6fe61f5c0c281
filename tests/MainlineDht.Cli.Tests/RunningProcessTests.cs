using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MainlineDht.Protocol;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// The one-shot commands against a <c>mainline-dht swarm --duration</c> and a <c>mainline-dht node</c>
/// running as separate processes, the way a person or a script uses them together.
/// </summary>
[NonParallelizable]
public sealed class RunningProcessTests
{
    private const string SwarmFirst = "127.0.24.1:7101";
    private const string NodeEndPoint = "127.0.24.100:7102";

    private Process _swarm = null!;
    private Process _node = null!;
    private JsonElement _swarmResult;

    [OneTimeSetUp]
    public async Task StartSwarmAndNode()
    {
        _swarm = Tool.Start("swarm", "--nodes", "16", "--bind", "127.0.24.1", "--port", "7101", "--duration", "300", "--json");
        string document = await ReadJsonDocumentAsync(_swarm, TimeSpan.FromSeconds(90));
        _swarmResult = JsonDocument.Parse(document).RootElement.Clone();
        Assert.That(_swarmResult.GetProperty("found_all").GetBoolean(), Is.True, document);

        _node = Tool.Start("node", "--bind", "127.0.24.100", "--port", "7102", "--bootstrap", SwarmFirst, "--duration", "300");
        await WaitForJoinedAsync(_node, TimeSpan.FromSeconds(60));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        foreach (Process? process in new[] { _swarm, _node })
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process?.Dispose();
        }
    }

    [Test]
    public async Task Get_peers_through_the_running_swarm_finds_what_it_announced()
    {
        foreach (JsonElement announced in _swarmResult.GetProperty("infohashes").EnumerateArray())
        {
            ToolRun run = await Tool.RunAsync("get-peers", announced.GetProperty("infohash").GetString()!, "--bind", "127.0.25.1", "--bootstrap", SwarmFirst, "--json");
            Assert.That(run.ExitCode, Is.Zero, run.Stderr);
            using JsonDocument json = JsonDocument.Parse(run.Stdout);
            Assert.That(json.RootElement.GetProperty("peers").EnumerateArray().Select(p => p.GetString()), Does.Contain(announced.GetProperty("peer").GetString()));
        }
    }

    [Test]
    public async Task A_peer_announced_through_the_node_process_is_found_through_the_swarm()
    {
        string infoHash = NodeId.CreateRandom(new Random(24)).ToString();
        ToolRun announce = await Tool.RunAsync("announce", infoHash, "--peer-port", "6999", "--bind", "127.0.25.2", "--bootstrap", NodeEndPoint, "--json");
        Assert.That(announce.ExitCode, Is.Zero, announce.Stderr);
        using JsonDocument accepted = JsonDocument.Parse(announce.Stdout);
        Assert.That(accepted.RootElement.GetProperty("accepted").GetArrayLength(), Is.GreaterThan(0));

        ToolRun found = await Tool.RunAsync("get-peers", infoHash, "--bind", "127.0.25.3", "--bootstrap", SwarmFirst);
        Assert.That(found.ExitCode, Is.Zero, found.Stderr);
        Assert.That(found.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Does.Contain("127.0.25.2:6999"));
    }

    [Test]
    public async Task Ping_and_find_node_reach_the_node_process()
    {
        ToolRun ping = await Tool.RunAsync("ping", NodeEndPoint, "--bind", "127.0.25.4", "--json");
        Assert.That(ping.ExitCode, Is.Zero, ping.Stderr);
        using JsonDocument pong = JsonDocument.Parse(ping.Stdout);
        Assert.That(pong.RootElement.GetProperty("status").GetString(), Is.EqualTo("response").IgnoreCase);
        string nodeId = pong.RootElement.GetProperty("id").GetString()!;

        // Through the swarm only: the node process joined it, so a lookup of its id ends at it.
        ToolRun find = await Tool.RunAsync("find-node", nodeId, "--bind", "127.0.25.5", "--bootstrap", SwarmFirst, "--json");
        Assert.That(find.ExitCode, Is.Zero, find.Stderr);
        using JsonDocument nodes = JsonDocument.Parse(find.Stdout);
        JsonElement closest = nodes.RootElement.GetProperty("nodes")[0];
        Assert.That(closest.GetProperty("id").GetString(), Is.EqualTo(nodeId));
    }

    [Test]
    public async Task A_mutable_item_put_through_the_swarm_process_is_read_back_through_the_node_process()
    {
        // Both processes serve mutable items: a swarm node without a signature verifier would refuse with 202.
        string seed = Path.Combine(Path.GetTempPath(), $"mainline-dht-{Guid.NewGuid():N}.seed");
        try
        {
            ToolRun keygen = await Tool.RunAsync("keygen", seed);
            Assert.That(keygen.ExitCode, Is.Zero, keygen.Stderr);
            string publicKey = keygen.Stdout.Trim();

            ToolRun put = await Tool.RunAsync("put", "served by processes", "--key", seed, "--salt", "running", "--bind", "127.0.25.20", "--bootstrap", SwarmFirst, "--json");
            Assert.That(put.ExitCode, Is.Zero, put.Stdout + put.Stderr);
            using JsonDocument stored = JsonDocument.Parse(put.Stdout);
            Assert.That(stored.RootElement.GetProperty("refused").GetArrayLength(), Is.Zero, put.Stdout);
            string target = stored.RootElement.GetProperty("target").GetString()!;

            ToolRun get = await Tool.RunAsync("get", target, "--key-public", publicKey, "--salt", "running", "--bind", "127.0.25.21", "--bootstrap", NodeEndPoint);
            Assert.That(get.ExitCode, Is.Zero, get.Stderr);
            Assert.That(get.Stdout.Trim(), Is.EqualTo("served by processes"));
        }
        finally
        {
            File.Delete(seed);
        }
    }

    /// <summary>Reads stdout up to the end of the first JSON document (the swarm prints it, then serves).</summary>
    private static async Task<string> ReadJsonDocumentAsync(Process process, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var text = new StringBuilder();
        while (true)
        {
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                Assert.Fail($"the process ended before printing its result: {text}{await process.StandardError.ReadToEndAsync(timeout.Token)}");
            }

            text.AppendLine(line);
            if (line == "}")
            {
                return text.ToString();
            }
        }
    }

    /// <summary>The node prints "node ID listening on …" at start and its first status line once joined.</summary>
    private static async Task WaitForJoinedAsync(Process process, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        for (int i = 0; i < 2; i++)
        {
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.That(line, Is.Not.Null, "the node process ended before it joined");
        }

        // Keep draining its output so it never blocks on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
    }

}
