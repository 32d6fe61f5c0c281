using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Rpc;

/// <summary>
/// The reply byte budget: unverified sources share it down to a reserve; verified nodes are never
/// refused; a source refused for it is pinged, and once it answers it is verified; a source that
/// never answers (a spoofed one) stays held to the budget and is pinged at most once a minute.
/// </summary>
public sealed class ReplyBudgetTests
{
    private static readonly IPAddress A = IPAddress.Parse("127.0.0.2");

    [Test]
    public void Unverified_sources_stop_at_the_reserve_and_verified_nodes_are_never_refused()
    {
        var clock = new VirtualTimeProvider();
        var budget = new ReplyBandwidth(bytesPerSecond: 1000, clock); // a bucket of 2,000 bytes
        int unverified = 0;
        while (budget.TryTake(100, verified: false))
        {
            unverified++;
        }

        Assert.That(unverified, Is.EqualTo(10), "down to the reserved half");
        for (int i = 0; i < 30; i++)
        {
            Assert.That(budget.TryTake(100, verified: true), Is.True, "a verified node is answered, whatever is left");
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(budget.TryTake(100, verified: false), Is.False, "the verified replies emptied the bucket: the 1,000 bytes refilled are the reserve");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.That(budget.TryTake(100, verified: false), Is.True, "1,100 bytes: 100 over the reserve");
        Assert.That(budget.TryTake(100, verified: false), Is.False);
    }

    [Test]
    public void Answered_sources_stay_verified_for_their_lifetime_and_are_pinged_at_most_once_a_minute()
    {
        var clock = new VirtualTimeProvider();
        var answered = new AnsweredSources(clock);
        var source = new IPEndPoint(A, 7000);
        Assert.That(answered.HasAnswered(source), Is.False);
        Assert.That(answered.TryNotePing(source), Is.True);
        Assert.That(answered.TryNotePing(source), Is.False, "pinged a moment ago");
        clock.Advance(AnsweredSources.PingInterval);
        Assert.That(answered.TryNotePing(source), Is.True, "a minute later");

        answered.NoteAnswer(source);
        Assert.That(answered.HasAnswered(source), Is.True);
        Assert.That(answered.HasAnswered(new IPEndPoint(A, 7001)), Is.False, "another port is another source");
        Assert.That(answered.HasAnswered(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.2"), 7001)), Is.False);
        clock.Advance(AnsweredSources.Lifetime);
        Assert.That(answered.HasAnswered(source), Is.True, "for 15 minutes");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(answered.HasAnswered(source), Is.False, "not after");
    }

    [Test]
    public void The_table_of_answered_sources_is_bounded_and_keeps_the_fresh_ones()
    {
        var clock = new VirtualTimeProvider();
        var answered = new AnsweredSources(clock);
        for (int i = 0; i < 4 * AnsweredSources.Slots; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            answered.NoteAnswer(Source(i, 6881));
        }

        int kept = Enumerable.Range(0, 4 * AnsweredSources.Slots).Count(i => answered.HasAnswered(Source(i, 6881)));
        Assert.That(kept, Is.LessThanOrEqualTo(AnsweredSources.Slots), "never more than its slots");
        Assert.That(kept, Is.EqualTo(901), "those that answered in the last 15 minutes, both ends included (one a second)");
    }

    [Test]
    public void A_flood_of_sources_that_never_answer_does_not_push_out_those_that_answered()
    {
        var clock = new VirtualTimeProvider();
        var answered = new AnsweredSources(clock);
        for (int i = 0; i < 1024; i++)
        {
            answered.NoteAnswer(Source(i, 6881));
        }

        int pinged = 0;
        for (int i = 0; i < 50_000; i++)
        {
            pinged += answered.TryNotePing(Source(i, 7000 + (i % 50))) ? 1 : 0;
        }

        Assert.That(Enumerable.Range(0, 1024).Count(i => answered.HasAnswered(Source(i, 6881))), Is.EqualTo(1024));
        Assert.That(pinged, Is.EqualTo(50_000), "each new source may be pinged once");
    }

    private static IPEndPoint Source(int i, int port) => new(new IPAddress([127, 10, (byte)(i >> 8), (byte)i]), port);

    [Test]
    public async Task A_source_refused_for_the_budget_is_pinged_and_answered_once_it_has_answered()
    {
        var clock = new VirtualTimeProvider();
        var transport = new ScriptedTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions { TimeProvider = clock, RandomSeed = 1, UsePublicRouters = false, SendPolicy = NetworkGuard.Policy, QueriesPerSecondPerIp = 0, ReplyBytesPerSecond = 1000 },
            transport);
        node.Start();
        byte[] ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");

        // Spend the unverified share (1,000 bytes: 14 pongs) from other sources.
        SpendBudget(8000);

        var real = new IPEndPoint(A, 7000);
        var spoofed = new IPEndPoint(A, 7001);
        Assert.That(transport.Exchange(ping, real), Is.Null, "over budget");
        Assert.That(transport.Exchange(ping, spoofed), Is.Null, "over budget");
        Assert.That(PingsTo(transport, real), Has.Count.EqualTo(1), "the refused source is pinged");
        Assert.That(PingsTo(transport, spoofed), Has.Count.EqualTo(1));

        // The real node answers our ping; the spoofed address never does.
        KrpcQuery ours = PingsTo(transport, real)[0];
        transport.Exchange(Latin1($"d1:rd2:id20:abcdefghij0123456789e1:t{ours.TransactionId.Length}:{Text(ours.TransactionId.Span)}1:y1:re"), real);
        long overBudget = node.GetStatistics().RepliesOverBudget;
        for (int i = 0; i < 5; i++)
        {
            Assert.That(transport.Exchange(ping, real), Is.Not.Null, "verified: answered, the budget spent or not");
            Assert.That(transport.Exchange(ping, spoofed), Is.Null, "still held to the budget");
        }

        Assert.That(node.GetStatistics().RepliesOverBudget - overBudget, Is.EqualTo(5), "only the spoofed source's replies were refused");
        Assert.That(PingsTo(transport, spoofed), Has.Count.EqualTo(1), "pinged at most once a minute");
        clock.Advance(TimeSpan.FromSeconds(30));
        transport.Exchange(ping, spoofed);
        Assert.That(PingsTo(transport, spoofed), Has.Count.EqualTo(1));
        clock.Advance(TimeSpan.FromSeconds(31));
        SpendBudget(9000);
        Assert.That(transport.Exchange(ping, spoofed), Is.Null);
        Assert.That(PingsTo(transport, spoofed), Has.Count.EqualTo(2), "a minute after the last ping, once more");

        void SpendBudget(int firstPort)
        {
            for (int i = 0; i < 40; i++)
            {
                transport.Exchange(ping, new IPEndPoint(A, firstPort + i));
            }
        }
    }

    [Test]
    public async Task Over_UDP_sources_that_answer_our_pings_are_answered_past_the_budget_and_silent_ones_are_not()
    {
        await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            ReplyBytesPerSecond = 50, // a bucket of 100 bytes, half reserved: no 68-byte pong to an unverified source fits
            QueriesPerSecondPerIp = 0,
        });
        byte[] ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        using var silent = new RawKrpcClient(IPAddress.Parse("127.0.0.60"));
        using var real = new RawKrpcClient(IPAddress.Parse("127.0.0.61"));
        Assert.That(Answered(silent, 3), Is.Zero, "over budget; the node's ping goes unanswered");
        Assert.That(Answered(real, 20), Is.EqualTo(19), "refused once, pinged, answered the ping: verified from then on");
        Assert.That(Answered(silent, 3), Is.Zero, "still held to the budget");
        Assert.That(node.GetStatistics().RepliesOverBudget, Is.EqualTo(7));

        int Answered(RawKrpcClient client, int queries)
        {
            int answered = 0;
            for (int i = 0; i < queries; i++)
            {
                client.Send(ping, node.LocalEndPoint);
                answered += ReplyTo(client) ? 1 : 0;
            }

            return answered;
        }

        // Reads until the node's pong (answering its ping on the way, when the client is the real one); false when none comes.
        bool ReplyTo(RawKrpcClient client)
        {
            while (client.Receive(TimeSpan.FromMilliseconds(200)) is byte[] datagram)
            {
                KrpcMessage message = KrpcCodec.Decode(datagram);
                if (message is KrpcQuery query)
                {
                    if (ReferenceEquals(client, real))
                    {
                        client.Send(Latin1($"d1:rd2:id20:zyxwvutsrq9876543210e1:t{query.TransactionId.Length}:{Text(query.TransactionId.Span)}1:y1:re"), node.LocalEndPoint);
                    }

                    continue;
                }

                return true;
            }

            return false;
        }
    }

    private static List<KrpcQuery> PingsTo(ScriptedTransport transport, IPEndPoint destination) =>
        transport.Sent.Where(s => s.Destination.Equals(destination))
            .Select(s => KrpcCodec.Decode(s.Datagram))
            .OfType<KrpcQuery>()
            .Where(q => q.Method == KrpcMethod.Ping)
            .ToList();
}
