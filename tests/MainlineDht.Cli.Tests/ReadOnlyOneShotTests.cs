using System.Globalization;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// The one-shot commands run as BEP 43 read-only nodes: they leave no entry in the routing tables
/// of the nodes they talk to (a node that is gone seconds later must not be handed out), and
/// their announces are still stored.
/// </summary>
[NonParallelizable]
public sealed class ReadOnlyOneShotTests
{
    private const int Runs = 20;
    private const string OneShotPrefix = "127.0.29.";

    [Test]
    public async Task Twenty_one_shot_processes_leave_no_entry_in_the_swarm_tables_and_their_announces_are_stored()
    {
        await using LoopbackSwarm swarm = await LoopbackSwarm.StartAsync("127.0.28", 16);
        var random = new Random(19);

        // Even runs announce an infohash of their own; odd runs look up one a swarm node announced.
        var infoHashes = new NodeId[Runs];
        for (int i = 0; i < Runs; i++)
        {
            infoHashes[i] = NodeId.CreateRandom(random);
            if (i % 2 == 1)
            {
                await swarm.Nodes[i % swarm.Nodes.Count].AnnounceAsync(infoHashes[i], 6000 + i);
            }
        }

        var runs = new ToolRun[Runs];
        await Parallel.ForEachAsync(Enumerable.Range(0, Runs), new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (i, _) =>
        {
            string bind = OneShotPrefix + (i + 1).ToString(CultureInfo.InvariantCulture);
            runs[i] = i % 2 == 0
                ? await Tool.RunAsync("announce", infoHashes[i].ToString(), "--peer-port", (7000 + i).ToString(CultureInfo.InvariantCulture), "--bind", bind, "--bootstrap", swarm.Hub)
                : await Tool.RunAsync("get-peers", infoHashes[i].ToString(), "--bind", bind, "--bootstrap", swarm.Hub);
        });

        for (int i = 0; i < Runs; i++)
        {
            Assert.That(runs[i].ExitCode, Is.Zero, $"run {i}: {runs[i].Stderr}");
            if (i % 2 == 1)
            {
                Assert.That(runs[i].Stdout, Does.Contain($"{swarm.Nodes[i % swarm.Nodes.Count].LocalEndPoint.Address}:{6000 + i}"));
            }
        }

        Assert.That(EntriesOnOneShotAddresses(swarm), Is.Empty, "a swarm node lists a one-shot process in its routing table");

        // Each announce was stored: a lookup from the swarm finds its peer port.
        DhtNode looker = swarm.Nodes[^1];
        for (int i = 0; i < Runs; i += 2)
        {
            PeerLookupResult found = await looker.LookupPeersAsync(infoHashes[i]);
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(IPAddress.Parse(OneShotPrefix + (i + 1).ToString(CultureInfo.InvariantCulture)), 7000 + i)));
        }

        // The check sees what it looks for: a --full-node run answers queries and is listed.
        string full = OneShotPrefix + "100";
        ToolRun fullRun = await Tool.RunAsync("announce", NodeId.CreateRandom(random).ToString(), "--peer-port", "7100", "--bind", full, "--bootstrap", swarm.Hub, "--full-node");
        Assert.That(fullRun.ExitCode, Is.Zero, fullRun.Stderr);
        Assert.That(EntriesOnOneShotAddresses(swarm), Is.Not.Empty.And.All.StartsWith(full + ":"));
    }

    private static List<string> EntriesOnOneShotAddresses(LoopbackSwarm swarm) =>
        [.. swarm.Nodes
            .SelectMany(node => node.GetRoutingTable())
            .Select(entry => entry.EndPoint.ToString())
            .Where(endPoint => endPoint.StartsWith(OneShotPrefix, StringComparison.Ordinal))];
}
