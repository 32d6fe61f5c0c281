using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Tests.Rpc;

/// <summary>The queries in flight: random ids, a bound, and a reply matched on its id and its source.</summary>
public sealed class TransactionTableTests
{
    private static readonly IPEndPoint Node = new(IPAddress.Parse("127.0.0.2"), 6881);

    private static PendingQuery Query(IPEndPoint endPoint) =>
        new(endPoint, KrpcMethod.Ping, expectedId: null, sentTimestamp: 0, runContinuationsAsynchronously: false);

    /// <summary>The transaction id as the node writes it on the wire: two bytes, big-endian.</summary>
    private static byte[] Wire(ushort id) => [(byte)(id >> 8), (byte)id];

    [Test]
    public void Ids_ComeFromTheTablesRandom_NotACounter()
    {
        List<ushort> Ids(int seed)
        {
            var table = new TransactionTable(64, new Random(seed));
            var ids = new List<ushort>();
            for (int i = 0; i < 50; i++)
            {
                PendingQuery query = Query(Node);
                Assert.That(table.TryAdd(query), Is.True);
                ids.Add(query.TransactionId);
            }

            return ids;
        }

        List<ushort> ids = Ids(1);
        var expected = new Random(1);
        Assert.Multiple(() =>
        {
            Assert.That(ids, Is.Unique);
            Assert.That(ids.Take(5), Is.EqualTo(Enumerable.Range(0, 5).Select(_ => (ushort)expected.Next(0, 65536))), "each id is the next draw of the table's Random");
            Assert.That(ids.Zip(ids.Skip(1)).Count(p => p.Second == p.First + 1), Is.LessThan(3), "not sequential");
            Assert.That(Ids(1), Is.EqualTo(ids), "the same seed gives the same ids");
            Assert.That(Ids(2), Is.Not.EqualTo(ids));
        });
    }

    [Test]
    public void AnIdInFlight_IsNeverGivenTwice_ADrawThatRepeatsItIsDrawnAgain()
    {
        var table = new TransactionTable(8, new ScriptedRandom(7, 7, 7, 9));
        PendingQuery first = Query(Node), second = Query(Node);

        Assert.That(table.TryAdd(first), Is.True);
        Assert.That(table.TryAdd(second), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(first.TransactionId, Is.EqualTo(7));
            Assert.That(second.TransactionId, Is.EqualTo(9));
            Assert.That(table.Count, Is.EqualTo(2));
        });
    }

    [Test]
    public void AFullTable_RefusesTheNextQuery_UntilOneCompletes()
    {
        var table = new TransactionTable(3, new Random(1));
        PendingQuery[] queries = [Query(Node), Query(Node), Query(Node)];
        foreach (PendingQuery query in queries)
        {
            Assert.That(table.TryAdd(query), Is.True);
        }

        PendingQuery fourth = Query(Node);
        Assert.Multiple(() =>
        {
            Assert.That(table.Capacity, Is.EqualTo(3));
            Assert.That(table.TryAdd(fourth), Is.False, "the bound holds");
            Assert.That(table.Count, Is.EqualTo(3));
        });

        Assert.That(table.TryTake(Wire(queries[1].TransactionId), Node, out _), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(table.TryAdd(fourth), Is.True, "a completed query frees its place");
            Assert.That(table.Count, Is.EqualTo(3));
        });
    }

    [TestCase(0)]
    [TestCase(32_769)]
    public void ACapacityOutside1To32768_IsRefused(int capacity) =>
        Assert.That(() => new TransactionTable(capacity, new Random(1)), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void AFullTableOfTheLargestCapacity_StillFindsFreeIds()
    {
        var table = new TransactionTable(32_768, new Random(3));
        for (int i = 0; i < 32_768; i++)
        {
            Assert.That(table.TryAdd(Query(Node)), Is.True);
        }

        Assert.That(table.TryAdd(Query(Node)), Is.False);
        Assert.That(table.Count, Is.EqualTo(32_768));
    }

    [Test]
    public void AReply_CompletesItsQuery_OnlyWithTheSameIdAndTheSameSource()
    {
        var table = new TransactionTable(8, new ScriptedRandom(0x1234));
        PendingQuery query = Query(Node);
        table.TryAdd(query);
        Assert.That(query.TransactionId, Is.EqualTo(0x1234));

        Assert.Multiple(() =>
        {
            Assert.That(table.TryTake(Wire(0x1235), Node, out _), Is.False, "another id");
            Assert.That(table.TryTake([0x34, 0x12], Node, out _), Is.False, "the id is read big-endian");
            Assert.That(table.TryTake([0x12], Node, out _), Is.False, "one byte");
            Assert.That(table.TryTake([0x12, 0x34, 0x00], Node, out _), Is.False, "three bytes");
            Assert.That(table.TryTake([], Node, out _), Is.False, "none");
            Assert.That(table.TryTake(Wire(0x1234), new IPEndPoint(IPAddress.Parse("127.0.0.3"), 6881), out _), Is.False, "another address: a forged reply");
            Assert.That(table.TryTake(Wire(0x1234), new IPEndPoint(Node.Address, 6882), out _), Is.False, "another port");
            Assert.That(table.Count, Is.EqualTo(1), "a reply that does not match leaves the query waiting for the real one");
        });

        Assert.That(table.TryTake(Wire(0x1234), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 6881), out PendingQuery taken), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(taken, Is.SameAs(query));
            Assert.That(table.Count, Is.Zero);
            Assert.That(table.TryTake(Wire(0x1234), Node, out _), Is.False, "a second reply to the same query finds nothing");
        });
    }

    [Test]
    public void AnIPv4MappedIPv6Source_MatchesTheIPv4Address_BothWays()
    {
        var table = new TransactionTable(8, new Random(1));
        PendingQuery toV4 = Query(Node);
        PendingQuery toMapped = Query(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.4"), 6881));
        PendingQuery toV6 = Query(new IPEndPoint(IPAddress.IPv6Loopback, 6881));
        table.TryAdd(toV4);
        table.TryAdd(toMapped);
        table.TryAdd(toV6);

        Assert.Multiple(() =>
        {
            Assert.That(table.TryTake(Wire(toV4.TransactionId), new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.2"), 6881), out PendingQuery a), Is.True, "sent to IPv4, answered from its mapped form (a dual-stack socket)");
            Assert.That(a, Is.SameAs(toV4));
            Assert.That(table.TryTake(Wire(toMapped.TransactionId), new IPEndPoint(IPAddress.Parse("127.0.0.4"), 6881), out PendingQuery b), Is.True, "sent to the mapped form, answered from IPv4");
            Assert.That(b, Is.SameAs(toMapped));
            Assert.That(table.TryTake(Wire(toV6.TransactionId), new IPEndPoint(IPAddress.Parse("::ffff:0.0.0.1"), 6881), out _), Is.False, "::1 is not the mapped 0.0.0.1");
            Assert.That(table.TryTake(Wire(toV6.TransactionId), new IPEndPoint(IPAddress.IPv6Loopback, 6881), out _), Is.True);
        });
    }

    [Test]
    public void Remove_AfterTheReplyTookTheQuery_ReturnsFalse()
    {
        var table = new TransactionTable(8, new Random(1));
        PendingQuery query = Query(Node);
        table.TryAdd(query);
        Assert.That(table.TryTake(Wire(query.TransactionId), Node, out _), Is.True);

        Assert.That(table.Remove(query), Is.False, "the timeout that fires after the reply finds nothing to time out");
    }

    [Test]
    public void Remove_OfAnOldQuery_LeavesANewerOneWithTheSameId()
    {
        var table = new TransactionTable(8, new ScriptedRandom(5, 5));
        PendingQuery old = Query(Node), newer = Query(Node);
        table.TryAdd(old);
        Assert.That(table.TryTake(Wire(5), Node, out _), Is.True);
        table.TryAdd(newer);
        Assert.That(newer.TransactionId, Is.EqualTo(old.TransactionId), "the id was free again");

        Assert.Multiple(() =>
        {
            Assert.That(table.Remove(old), Is.False);
            Assert.That(table.Count, Is.EqualTo(1), "the newer query is still in flight");
            Assert.That(table.Remove(newer), Is.True, "a timeout or cancellation removes its own query");
            Assert.That(table.Count, Is.Zero);
            Assert.That(table.Remove(newer), Is.False, "once");
        });
    }

    [Test]
    public void TakeAll_ReturnsEveryQueryInFlight_AndEmptiesTheTable()
    {
        var table = new TransactionTable(8, new Random(1));
        PendingQuery[] queries = [Query(Node), Query(Node), Query(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 7000))];
        foreach (PendingQuery query in queries)
        {
            table.TryAdd(query);
        }

        List<PendingQuery> all = table.TakeAll();

        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EquivalentTo(queries));
            Assert.That(table.Count, Is.Zero);
            Assert.That(table.TryTake(Wire(queries[0].TransactionId), Node, out _), Is.False);
            Assert.That(queries.Select(table.Remove), Is.All.False, "their timeouts find nothing");
            Assert.That(table.TakeAll(), Is.Empty);
        });
    }

    /// <summary>A <see cref="Random"/> whose draws are given: the table's only source of ids.</summary>
    private sealed class ScriptedRandom(params int[] draws) : Random
    {
        private readonly Queue<int> _draws = new(draws);

        public override int Next(int minValue, int maxValue)
        {
            int next = _draws.Dequeue();
            Assert.That(next, Is.InRange(minValue, maxValue - 1));
            return next;
        }
    }

    [Test]
    public void QueriesRemovedInAnyOrder_LeaveEveryOtherOneFindable()
    {
        // Many ids share a home slot in a small table: removing one must not lose the ones probed past it.
        var table = new TransactionTable(4096, new Random(11));
        var random = new Random(12);
        var inFlight = new List<PendingQuery>();
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 150; i++)
            {
                PendingQuery query = Query(Node);
                Assert.That(table.TryAdd(query), Is.True);
                inFlight.Add(query);
            }

            for (int i = 0; i < 100; i++)
            {
                int pick = random.Next(inFlight.Count);
                PendingQuery gone = inFlight[pick];
                inFlight.RemoveAt(pick);
                Assert.That(random.Next(2) == 0 ? table.Remove(gone) : table.TryTake(Wire(gone.TransactionId), Node, out _), Is.True);
            }

            Assert.That(table.Count, Is.EqualTo(inFlight.Count));
        }

        foreach (PendingQuery query in inFlight)
        {
            Assert.That(table.TryTake(Wire(query.TransactionId), Node, out PendingQuery? taken), Is.True);
            Assert.That(taken, Is.SameAs(query));
        }

        Assert.That(table.Count, Is.Zero);
    }

    [Test]
    public void AfterABurst_TheTableGivesBackItsRoom_OnceNothingIsInFlight()
    {
        var table = new TransactionTable(256, new Random(3));
        var queries = new List<PendingQuery>();
        for (int i = 0; i < 100; i++)
        {
            PendingQuery query = Query(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 1000 + i));
            Assert.That(table.TryAdd(query), Is.True);
            queries.Add(query);
        }

        Assert.That(table.Room, Is.GreaterThanOrEqualTo(100));
        for (int i = 0; i < 99; i++)
        {
            Assert.That(i % 2 == 0 ? table.Remove(queries[i]) : table.TryTake(Wire(queries[i].TransactionId), queries[i].EndPoint, out _), Is.True);
        }

        Assert.That(table.Room, Is.GreaterThanOrEqualTo(100), "one still in flight: the room stays");
        Assert.That(table.Remove(queries[99]), Is.True);
        Assert.That(table.Room, Is.LessThanOrEqualTo(TransactionTable.IdleCapacity), "nothing in flight: given back");

        PendingQuery next = Query(Node);
        Assert.That(table.TryAdd(next), Is.True, "and it grows again");
        Assert.That(table.TryTake(Wire(next.TransactionId), Node, out PendingQuery taken), Is.True);
        Assert.That(taken, Is.SameAs(next));
    }
}
