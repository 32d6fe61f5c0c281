using System.Net;
using MainlineDht.Simulation;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// The receive path (decode → dispatch → handler → reply → outbox → send) allocates per query only
/// the decoded query and the response message: buffers are pooled or the node's own. Measured on
/// the test thread, which is where a transport that calls the node synchronously runs it all.
/// </summary>
public sealed class HotPathAllocationTests
{
    /// <summary>The query object and the response object (about 400 bytes on .NET 10 x64), with room to spare, but far below a buffer.</summary>
    private const long MaxBytesPerQuery = 512;

    [TestCase("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", TestName = "ping")]
    [TestCase("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe", TestName = "find_node")]
    [TestCase("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe", TestName = "get_peers")]
    public async Task Answering_a_query_allocates_only_the_decoded_query(string query)
    {
        var transport = new CountingTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions { TimeProvider = new VirtualTimeProvider(), RandomSeed = 1, UsePublicRouters = false, QueriesPerSecondPerIp = 0, ReplyBytesPerSecond = 0, SendPolicy = NetworkGuard.Policy },
            transport);
        node.Start();
        byte[] datagram = Latin1(query);
        var source = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7000);
        for (int i = 0; i < 1_000; i++)
        {
            transport.Receiver!.OnDatagram(datagram, source); // warm-up: the querier's verification, lazily made buffers, JIT
        }

        const int Count = 10_000;
        int sentBefore = transport.Sent;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Count; i++)
        {
            transport.Receiver!.OnDatagram(datagram, source);
        }

        long perQuery = (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
        Assert.That(transport.Sent - sentBefore, Is.EqualTo(Count), "every query answered");
        Assert.That(perQuery, Is.LessThanOrEqualTo(MaxBytesPerQuery));
    }

    private sealed class CountingTransport(IPEndPoint localEndPoint) : IDatagramTransport
    {
        public IDatagramReceiver? Receiver { get; private set; }

        public int Sent { get; private set; }

        public IPEndPoint LocalEndPoint { get; } = localEndPoint;

        public void Start(IDatagramReceiver receiver) => Receiver = receiver;

        public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
        {
            Sent++;
            return true;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
