using System.Net;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// A node pings the unknown nodes that query it, to verify them; a flood of queries from sources
/// that never answer must not take every query the node may have in flight.
/// </summary>
public sealed class QuerierVerificationTests
{
    [Test]
    public async Task Queriers_that_never_answer_take_at_most_half_the_queries_in_flight()
    {
        var transport = new RecordingTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions { TimeProvider = new VirtualTimeProvider(), RandomSeed = 1, UsePublicRouters = false, MaxOutstandingQueries = 8, SendPolicy = NetworkGuard.Policy },
            transport);
        node.Start();

        // Twenty unknown nodes (distinct ids in distinct buckets' reach, distinct addresses) query the node.
        for (int i = 0; i < 20; i++)
        {
            string id = $"{(char)('A' + i)}bcdefghij012345678{i % 10}";
            transport.Receiver!.OnDatagram(Latin1($"d1:ad2:id20:{id}e1:q4:ping1:t2:aa1:y1:qe"), new IPEndPoint(IPAddress.Parse($"127.0.9.{i + 1}"), 7000));
        }

        Assert.That(transport.Pings, Is.EqualTo(4), "verification pings: half of the 8 queries in flight");
        Assert.That(node.GetStatistics().OutstandingQueries, Is.EqualTo(4));

        // The other half is the node's own: a ping of its own still goes out.
        Task<RpcResult> own = node.PingAsync(new IPEndPoint(IPAddress.Parse("127.0.8.1"), 7000));
        Assert.That(transport.Pings, Is.EqualTo(5));
        Assert.That(own.IsCompleted, Is.False, "sent and waiting for its answer");
    }

    private sealed class RecordingTransport(IPEndPoint localEndPoint) : IDatagramTransport
    {
        public IDatagramReceiver? Receiver { get; private set; }

        /// <summary>Queries the node sent (its replies are not counted).</summary>
        public int Pings { get; private set; }

        public IPEndPoint LocalEndPoint { get; } = localEndPoint;

        public void Start(IDatagramReceiver receiver) => Receiver = receiver;

        public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
        {
            if (datagram.IndexOf("1:y1:q"u8) >= 0)
            {
                Pings++;
            }

            return true;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
