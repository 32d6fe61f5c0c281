using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation.Tests;

/// <summary>
/// Determinism and termination cases found in review: streamed lookups stay on the virtual clock's
/// loop, a seed gives the same bytes on the wire, a network with nobody left to answer is an error
/// instead of a hang, and building a network can be cancelled.
/// </summary>
public sealed class ReviewRegressionTests
{
    private sealed record StreamedRun(int Peers, TimeSpan Elapsed, long EventsRun, long BytesSent, bool StayedOnLoop);

    private static async Task<StreamedRun> StreamPeersAsync(int seed)
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = seed, LossRate = 0.05 });
        network.Populate(200, unresponsive: 0.1);
        NodeId infoHash = NodeId.CreateRandom(network.Random);
        network.Run(network.Nodes[3].Node.AnnounceAsync(infoHash, 6000));

        int loopThread = Environment.CurrentManagedThreadId;
        bool stayedOnLoop = true;
        int peers = network.Run(Consume());
        SimulatedNetworkStatistics statistics = network.Statistics;
        return new StreamedRun(peers, network.Elapsed, statistics.EventsRun, statistics.BytesSent, stayedOnLoop);

        async Task<int> Consume()
        {
            int count = 0;
            // ConfigureAwait(false): no context captured from the test runner; the channel's
            // continuations then run where the node completes them, on the loop.
            await foreach (IPEndPoint peer in network.Nodes[150].Node.GetPeersAsync(infoHash).ConfigureAwait(false))
            {
                stayedOnLoop &= Environment.CurrentManagedThreadId == loopThread;
                count++;
            }

            stayedOnLoop &= Environment.CurrentManagedThreadId == loopThread;
            return count;
        }
    }

    [Test]
    public async Task A_streamed_lookup_runs_on_the_loop_and_a_seed_repeats_it_exactly()
    {
        StreamedRun first = await StreamPeersAsync(11);
        StreamedRun second = await StreamPeersAsync(11);

        Assert.Multiple(() =>
        {
            Assert.That(first.Peers, Is.EqualTo(1));
            Assert.That(first.StayedOnLoop, Is.True, "the consumer of GetPeersAsync continued on the virtual clock's thread");
            Assert.That(second, Is.EqualTo(first), "same seed: same events, same virtual time, same bytes (write tokens included)");
        });
    }

    [Test]
    public void A_run_with_no_answering_node_left_fails_instead_of_spinning()
    {
        var options = new SimulationRunnerOptions { Nodes = 2, Lookups = 1, Dead = 0.5, Churn = 0.45, Seed = 1 };
        var error = Assert.Throws<InvalidOperationException>(() => SimulationRunner.Run(options));
        Assert.That(error!.Message, Does.Contain("No answering node"));
    }

    [Test]
    public async Task Building_a_network_stops_when_cancelled()
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 3 });
        using var cancel = new CancellationTokenSource();
        int waves = 0;
        Assert.Throws<OperationCanceledException>(() => network.Populate(2_000, progress: _ =>
        {
            if (++waves == 2)
            {
                cancel.Cancel();
            }
        }, cancellationToken: cancel.Token));
        Assert.That(waves, Is.EqualTo(2), "no wave ran after the cancellation");
    }
}
