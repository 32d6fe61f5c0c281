using System.Net;
using System.Net.Sockets;
using MainlineDht.Items;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// BEP 44 get and put as traversal operations over fake networks: what a get accepts as the item
/// (checked locally, never trusted), and where a put goes and what its report says.
/// </summary>
public sealed class ItemOperationTests
{
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");
    private static readonly byte[] Key = Hex("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");
    private static readonly byte[] OtherKey = Hex("0000000000000000000000000000000000000000000000000000000000000001");

    private readonly VirtualTimeProvider _clock = new();

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    /// <summary>An id <paramref name="distance"/> away from <paramref name="target"/> (its last byte flipped by it).</summary>
    private static NodeId Near(NodeId target, int distance)
    {
        byte[] bytes = target.ToArray();
        bytes[0] ^= (byte)distance;
        return new NodeId(bytes);
    }

    private T Run<T>(Task<T> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the lookup did not end");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>A network of <paramref name="nodes"/>, all given at the start, the first nearest the target.</summary>
    private FakeLookupNetwork Network(NodeId target, params FakeNode[] nodes)
    {
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, _clock);
        for (int i = 0; i < nodes.Length; i++)
        {
            network.Nodes[At(i + 1)] = nodes[i];
            network.Starting((nodes[i].AnswersAs, At(i + 1)));
        }

        return network;
    }

    private static byte[] Signed(byte[] salt, long seq, byte[] value) => FakeItemSignatures.SignItem(Key, salt, seq, value);

    [Test]
    public void An_immutable_get_takes_only_a_value_that_hashes_to_the_target_and_stops_at_the_first()
    {
        byte[] value = Latin1("12:Hello World!");
        NodeId target = ItemTarget.ForImmutable(value);
        // The three first known; the farther three only through the third's reply, which comes last.
        NodeInfo[] farther = [.. Enumerable.Range(4, 3).Select(i => new NodeInfo(Near(target, i), At(i)))];
        FakeLookupNetwork network = Network(
            target,
            new FakeNode(Near(target, 1)) { Item = (Latin1("12:Hello World?"), null, null, null) }, // a forged value
            new FakeNode(Near(target, 2)) { Item = (value, null, null, null), Delay = TimeSpan.FromMilliseconds(10) },
            new FakeNode(Near(target, 3)) { Nodes = farther, Delay = TimeSpan.FromMilliseconds(20) });
        foreach (NodeInfo node in farther)
        {
            network.Nodes[node.EndPoint] = new FakeNode(node.Id);
        }

        ItemLookupResult result = Run(new LookupRunner([network], _clock).GetItemAsync(ItemCollector.ForImmutable(target, stopWhenFound: true), default));

        Assert.That(result.Found, Is.True);
        Assert.That(Text(result.Item!.Value), Is.EqualTo("12:Hello World!"));
        Assert.That((result.Item.IsMutable, result.Item.Target), Is.EqualTo((false, target)));
        Assert.That(result.Rejected, Is.EqualTo(1), "the forged value");
        Assert.That(network.SentOf<GetQuery>().Select(s => s.Query.Target).Distinct(), Is.EqualTo(new[] { target }));
        Assert.That(network.SentOf<GetQuery>(), Has.Count.EqualTo(3), "the found value ended the lookup before the farther nodes were asked");
    }

    [Test]
    public void A_mutable_get_keeps_the_highest_seq_whose_signature_verifies_for_the_key_and_salt()
    {
        byte[] salt = Latin1("foobar");
        NodeId target = ItemTarget.ForMutable(Key, salt);
        byte[] one = Latin1("3:one"), two = Latin1("3:two"), three = Latin1("5:three");
        FakeLookupNetwork network = Network(
            target,
            new FakeNode(Near(target, 1)) { Item = (one, Key, 1, Signed(salt, 1, one)) },
            new FakeNode(Near(target, 2)) { Item = (two, Key, 2, Signed(salt, 2, two)) },
            new FakeNode(Near(target, 3)) { Item = (three, Key, 3, Signed(salt, 2, three)) },          // signs another seq
            new FakeNode(Near(target, 4)) { Item = (three, Key, 3, Signed([], 3, three)) },            // signs without the salt
            new FakeNode(Near(target, 5)) { Item = (three, OtherKey, 3, FakeItemSignatures.SignItem(OtherKey, salt, 3, three)) }, // another key
            new FakeNode(Near(target, 6)) { Item = (three, Key, null, Signed(salt, 3, three)) },       // no seq
            new FakeNode(Near(target, 7)) { Item = (Latin1("5:hel"), Key, 9, Signed(salt, 9, Latin1("5:hel"))) }); // signed, but not bencode

        var verifier = new FakeItemSignatures();
        ItemLookupResult result = Run(new LookupRunner([network], _clock).GetItemAsync(ItemCollector.ForMutable(Key, salt, verifier), default));

        Assert.That(result.Found, Is.True);
        DhtItem item = result.Item!;
        Assert.That((Text(item.Value), item.Sequence, item.IsMutable, item.Target), Is.EqualTo(("3:two", (long?)2, true, target)));
        Assert.That((Text(item.Salt), item.PublicKey.ToArray()), Is.EqualTo(("foobar", Key)));
        Assert.That(item.Signature.ToArray(), Is.EqualTo(Signed(salt, 2, two)));
        Assert.That(result.Rejected, Is.EqualTo(5));
        Assert.That(network.SentOf<GetQuery>(), Has.Count.EqualTo(7), "a mutable get asks all of the K closest");
    }

    [Test]
    public void A_put_goes_to_the_token_givers_among_the_k_closest_and_reports_each_answer()
    {
        byte[] value = Latin1("5:hello");
        DhtItem item = DhtItem.Mutable(Key, Latin1("s"), 4, value, Signed(Latin1("s"), 4, value));
        NodeId target = item.Target;
        FakeLookupNetwork network = Network(
            target,
            new FakeNode(Near(target, 1)) { Token = [1] },
            new FakeNode(Near(target, 2)) { Token = [2], PutError = (302, "sequence number less than current") },
            new FakeNode(Near(target, 3)) { Token = null },
            new FakeNode(Near(target, 4)) { Token = [4], PutError = (301, "the CAS hash mismatched, re-read value and try again") },
            new FakeNode(Near(target, 5)) { Token = [5] },
            new FakeNode(Near(target, 6)) { Token = [6] },
            new FakeNode(Near(target, 7)) { Token = [7] },
            new FakeNode(Near(target, 8)) { Token = [8] },
            new FakeNode(Near(target, 9)) { Token = [9] }); // the ninth closest: not among the K

        ItemPutResult result = Run(new LookupRunner([network], _clock).PutItemAsync(item, compareAndSwap: 3, default));

        List<(PutQuery Query, IPEndPoint EndPoint)> puts = network.SentOf<PutQuery>();
        Assert.That(puts.Select(p => p.EndPoint), Is.EquivalentTo(new[] { 1, 2, 4, 5, 6, 7, 8 }.Select(At)));
        foreach ((PutQuery put, IPEndPoint endPoint) in puts)
        {
            Assert.That(put.Token.ToArray(), Is.EqualTo(new[] { (byte)endPoint.Address.GetAddressBytes()[3] }), "each node's own token");
            Assert.That((put.Sequence, put.CompareAndSwap, Text(put.Salt), Text(put.Value)), Is.EqualTo(((long?)4, (long?)3, "s", "5:hello")));
            Assert.That((put.PublicKey.ToArray(), put.Signature.ToArray()), Is.EqualTo((Key, item.Signature.ToArray())));
        }

        Assert.That(result.Stored, Is.True);
        Assert.That(result.Accepted.Select(n => n.EndPoint), Is.EqualTo(new[] { 1, 5, 6, 7, 8 }.Select(At)));
        Assert.That(result.Refused.Select(r => (r.Node.EndPoint, r.Code, r.Message)), Is.EqualTo(new[]
        {
            (At(2), 302, "sequence number less than current"),
            (At(4), 301, "the CAS hash mismatched, re-read value and try again"),
        }));
        Assert.That(result.Unanswered, Is.Empty);
        Assert.That(result.Report.Target, Is.EqualTo(target));
    }

    [Test]
    public void An_immutable_put_sends_the_value_alone()
    {
        DhtItem item = DhtItem.Immutable(Latin1("i42e"));
        FakeLookupNetwork network = Network(item.Target, new FakeNode(Near(item.Target, 1)), new FakeNode(Near(item.Target, 2)) { Delay = null });

        ItemPutResult result = Run(new LookupRunner([network], _clock).PutItemAsync(item, compareAndSwap: 7, default));

        PutQuery put = network.SentOf<PutQuery>().Single().Query;
        Assert.That(KrpcCodec.Encode(put), Is.EqualTo(Latin1(
            $"d1:ad2:id20:{Text(Self.ToArray())}5:token2:tk1:vi42ee1:q3:put1:t0:1:v4:FK011:y1:qe")), "no k, salt, seq, sig or cas");
        Assert.That(result.Accepted, Has.Count.EqualTo(1));
        Assert.That(result.Unanswered, Is.Empty, "the silent node gave no token: no put was sent to it");
    }
}
