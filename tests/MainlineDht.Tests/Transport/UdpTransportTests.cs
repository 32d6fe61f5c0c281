using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Transport;

/// <summary>
/// The UDP transport on loopback: receiving threads, replies to the raw source address, one
/// endpoint object per sender, and nothing allocated per datagram from a known sender.
/// </summary>
public sealed class UdpTransportTests
{
    [Test]
    public void A_sender_is_handed_as_the_same_endpoint_and_senders_are_told_apart_exactly()
    {
        var sources = new SourceEndPoints(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint first = sources.Get(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7000).Serialize());
        Assert.Multiple(() =>
        {
            Assert.That(sources.Get(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7000).Serialize()), Is.SameAs(first));
            Assert.That(first, Is.EqualTo(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7000)));
            Assert.That(sources.Get(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7001).Serialize()), Is.EqualTo(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 7001)));
            Assert.That(sources.Get(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 7000).Serialize()), Is.EqualTo(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 7000)));
        });

        var sources6 = new SourceEndPoints(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var scoped = new IPEndPoint(IPAddress.Parse("fe80::1%2"), 7000);
        var otherScope = new IPEndPoint(IPAddress.Parse("fe80::1%3"), 7000);
        IPEndPoint six = sources6.Get(scoped.Serialize());
        Assert.Multiple(() =>
        {
            Assert.That(six, Is.EqualTo(scoped));
            Assert.That(sources6.Get(scoped.Serialize()), Is.SameAs(six));
            Assert.That(sources6.Get(otherScope.Serialize()), Is.EqualTo(otherScope), "another scope is another sender");
            Assert.That(sources6.Get(new IPEndPoint(IPAddress.Parse("fe80::1%2"), 7001).Serialize()).Port, Is.EqualTo(7001));
        });
    }

    [Test]
    public void A_thousand_and_twenty_four_senders_all_stay_known()
    {
        var sources = new SourceEndPoints(new IPEndPoint(IPAddress.Loopback, 0));
        var first = new IPEndPoint[1024];
        for (int i = 0; i < first.Length; i++)
        {
            first[i] = sources.Get(Sender(i).Serialize());
        }

        Assert.That(Enumerable.Range(0, first.Length).Count(i => ReferenceEquals(sources.Get(Sender(i).Serialize()), first[i])), Is.EqualTo(1024));

        // The load benchmark's senders: 127.10.0.1 onwards, one port each.
        static IPEndPoint Sender(int i) => new(new IPAddress([127, 10, (byte)((i + 1) >> 8), (byte)(i + 1)]), 40000 + (i % 7));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Many_senders_are_answered_at_their_address_each_kept_as_one_endpoint(bool batched)
    {
        var receiver = new EchoReceiver();
        await using UdpTransport transport = Bind(IPAddress.Loopback, batched);
        receiver.Transport = transport;
        transport.Start(receiver);

        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
                client.Bind(new IPEndPoint(IPAddress.Parse($"127.0.20.{i + 1}"), 0));
                client.Connect(transport.LocalEndPoint);
                clients.Add(client);
            }

            byte[] buffer = new byte[64];
            for (int round = 0; round < 2; round++)
            {
                foreach (Socket client in clients)
                {
                    client.Send([(byte)round, 1, 2, 3]);
                }

                foreach (Socket client in clients)
                {
                    Assert.That(client.Receive(buffer), Is.EqualTo(4), "the echo came back to the sender");
                    Assert.That(buffer[0], Is.EqualTo(round));
                }
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        Assert.That(receiver.Sources.Count, Is.EqualTo(20), "one endpoint object per sender, the same for its second datagram");
        Assert.That(receiver.Sources.Values.Sum(), Is.EqualTo(40));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_known_sender_costs_no_allocation_per_datagram(bool batched)
    {
        var receiver = new EchoReceiver();
        await using UdpTransport transport = Bind(IPAddress.Loopback, batched);
        receiver.Transport = transport;
        receiver.CountSources = false;
        transport.Start(receiver);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.44"), 0));
        client.Connect(transport.LocalEndPoint);
        byte[] datagram = [1, 2, 3, 4];
        byte[] buffer = new byte[64];
        for (int i = 0; i < 2_000; i++)
        {
            client.Send(datagram);
            client.Receive(buffer); // warm-up: the sender's endpoint, JIT, socket state
        }

        const int Count = 10_000;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Count; i++)
        {
            client.Send(datagram);
            client.Receive(buffer);
        }

        long perDatagram = (GC.GetTotalAllocatedBytes(precise: true) - before) / Count;
        // The whole process, both ways: an object per datagram would be 24 bytes at least; what other
        // threads of the process allocate meanwhile (timers, the runtime) came to 10 bytes an average once on a loaded machine.
        Assert.That(perDatagram, Is.LessThan(24), "nothing per datagram");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Disposing_ends_the_receiving_threads(bool batched)
    {
        UdpTransport transport = Bind(IPAddress.Loopback, batched);
        transport.Start(new EchoReceiver { Transport = transport, CountSources = false });

        // Both threads are blocked receiving once each has answered a datagram and a while has passed.
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 })
        {
            client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.45"), 0));
            client.Connect(transport.LocalEndPoint);
            byte[] buffer = new byte[8];
            for (int i = 0; i < 20; i++)
            {
                client.Send([1]);
                client.Receive(buffer);
            }
        }

        await Task.Delay(200);
        Task disposed = transport.DisposeAsync().AsTask();
        Assert.That(await Task.WhenAny(disposed, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(disposed));
        await disposed;
    }

    [Test]
    public async Task A_burst_from_many_senders_is_taken_in_batches_and_each_reply_reaches_its_sender()
    {
        // The datagrams wait in the socket before receiving starts: the first receives take 16 each.
        var receiver = new EchoReceiver();
        await using UdpTransport transport = Bind(IPAddress.Loopback, batched: true);
        receiver.Transport = transport;
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 40; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
                client.Bind(new IPEndPoint(IPAddress.Parse($"127.0.21.{i + 1}"), 0));
                client.Connect(transport.LocalEndPoint);
                clients.Add(client);
                client.Send([(byte)i, 7, 7]);
            }

            transport.Start(receiver);
            byte[] buffer = new byte[64];
            for (int i = 0; i < clients.Count; i++)
            {
                Assert.That(clients[i].Receive(buffer), Is.EqualTo(3), "each sender gets its own reply back");
                Assert.That(buffer[0], Is.EqualTo(i));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        Assert.That(receiver.Sources.Count, Is.EqualTo(40));
        Assert.That(transport.SendFailures, Is.Zero);
        Assert.That(transport.ReceiveCalls, Is.EqualTo(3), "40 waiting datagrams: batches of 16, 16 and 8");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Replies_larger_than_a_batch_slot_and_sends_elsewhere_leave_too(bool batched)
    {
        // A 2,500-byte reply does not fit a batch's slot; a datagram to a third party is no reply.
        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        third.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.46"), 0));
        var receiver = new EchoReceiver { CountSources = false, ReplyLength = 2500, AlsoTo = (IPEndPoint)third.LocalEndPoint! };
        await using UdpTransport transport = Bind(IPAddress.Loopback, batched);
        receiver.Transport = transport;
        transport.Start(receiver);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.47"), 0));
        client.Connect(transport.LocalEndPoint);
        client.Send([9, 9]);
        byte[] buffer = new byte[4096];
        Assert.That(client.Receive(buffer), Is.EqualTo(2500));
        Assert.That(third.Receive(buffer), Is.EqualTo(2));
        Assert.That(transport.SendFailures, Is.Zero);
    }

    [Test]
    public async Task A_datagram_longer_than_a_batch_slot_is_a_receive_error_and_the_next_one_arrives()
    {
        var receiver = new EchoReceiver();
        await using UdpTransport transport = Bind(IPAddress.Loopback, batched: true);
        receiver.Transport = transport;
        transport.Start(receiver);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.48"), 0));
        client.Connect(transport.LocalEndPoint);
        client.Send(new byte[MessageBatch.SlotSize + 1]);
        client.Send([5]);
        byte[] buffer = new byte[4096];
        Assert.That(client.Receive(buffer), Is.EqualTo(1), "only the datagram that fits is delivered (and echoed)");
        Assert.That(transport.ReceiveErrors, Is.EqualTo(1));
        Assert.That(receiver.Sources.Values.Sum(), Is.EqualTo(1));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task An_IPv6_sender_is_answered_at_its_address(bool batched)
    {
        var receiver = new EchoReceiver();
        await using UdpTransport transport = Bind(IPAddress.IPv6Loopback, batched);
        receiver.Transport = transport;
        transport.Start(receiver);
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        client.Connect(transport.LocalEndPoint);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            client.Send([(byte)i, 6]);
            Assert.That(client.Receive(buffer), Is.EqualTo(2));
            Assert.That(buffer[0], Is.EqualTo(i));
        }

        Assert.That(receiver.Sources.Keys.Single(), Is.EqualTo(client.LocalEndPoint));
    }

    private static UdpTransport Bind(IPAddress address, bool batched)
    {
        if (batched)
        {
            Assume.That(MessageBatch.IsSupported, "recvmmsg/sendmmsg: 64-bit Linux");
        }

        return UdpTransport.Bind(new IPEndPoint(address, 0), NetworkGuard.Policy, batched ? 1 : 2, batched);
    }

    /// <summary>Sends each datagram back to its source from the receiving thread.</summary>
    private sealed class EchoReceiver : IDatagramReceiver
    {
        public UdpTransport? Transport { get; set; }

        public bool CountSources { get; set; } = true;

        public ConcurrentDictionary<IPEndPoint, int> Sources { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>Replies with this many bytes instead of the datagram itself (0: the datagram).</summary>
        public int ReplyLength { get; init; }

        /// <summary>Where the datagram is also sent (a third party, not its source).</summary>
        public IPEndPoint? AlsoTo { get; init; }

        public void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
        {
            if (CountSources)
            {
                Sources.AddOrUpdate(source, 1, (_, n) => n + 1);
            }

            Transport!.TrySend(ReplyLength == 0 ? datagram.Span : new byte[ReplyLength], source);
            if (AlsoTo is not null)
            {
                Transport.TrySend(datagram.Span, AlsoTo);
            }
        }
    }
}
