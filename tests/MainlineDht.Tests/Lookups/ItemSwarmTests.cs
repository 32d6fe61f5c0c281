using System.Net;
using MainlineDht.Items;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// BEP 44 through the public API across 40 nodes on the in-memory network, on virtual time: an item
/// one node puts is stored on the K closest and read back from another; a mutable item's newer
/// version wins; stale and compare-and-swap puts come back as refusals with their codes.
/// </summary>
public sealed class ItemSwarmTests : GuardedTest
{
    private const int Count = 40;
    private static readonly byte[] Key = Hex("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");

    private VirtualNetwork _network = null!;

    [TearDown]
    public async Task StopNodes() => await _network.DisposeAsync();

    private IReadOnlyList<DhtNode> Nodes => _network.Nodes;

    private T Run<T>(Task<T> task) => _network.Run(task);

    private void Build(Func<int, IItemSignatureVerifier?> verifier)
    {
        _network = new VirtualNetwork(seed: 5);
        _network.Network.Latency = (a, b) => TimeSpan.FromMilliseconds(15);
        for (int i = 0; i < Count; i++)
        {
            IItemSignatureVerifier? v = verifier(i);
            DhtNode node = _network.StartNode(new IPAddress([127, 2, 0, (byte)(i + 1)]), i + 1, i == 0 ? null : Nodes[0].LocalEndPoint, o => o with { ItemSignatureVerifier = v });
            if (i > 0)
            {
                _network.Run(node.JoinAsync());
            }
        }

        foreach (DhtNode node in Nodes)
        {
            Run(node.FindNodeAsync(node.Id));
        }
    }

    private static DhtItem Signed(long seq, string value, string salt = "")
    {
        byte[] v = Latin1(value), s = Latin1(salt);
        return DhtItem.Mutable(Key, s, seq, v, FakeItemSignatures.SignItem(Key, s, seq, v));
    }

    private NodeId[] KClosest(NodeId target, DhtNode except) =>
        [.. Nodes.Where(n => n != except).Select(n => n.Id).OrderBy(id => id ^ target).Take(Traversal.K)];

    [Test]
    public void An_immutable_item_put_by_one_node_is_stored_on_the_k_closest_and_found_from_another()
    {
        Build(_ => null);
        DhtNode putter = Nodes[3], getter = Nodes[30];

        ItemPutResult put = Run(putter.PutImmutableAsync("Hello World!"));

        NodeId target = NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb"); // BEP 44: SHA-1 of 12:Hello World!
        Assert.That(put.Item.Target, Is.EqualTo(target));
        Assert.That(put.Accepted.Select(n => n.Id), Is.EquivalentTo(KClosest(target, putter)));
        Assert.That((put.Refused.Count, put.Unanswered.Count), Is.EqualTo((0, 0)));
        Assert.That(Nodes.Where(n => n.GetStatistics().StoredItems == 1).Select(n => n.Id), Is.EquivalentTo(KClosest(target, putter)));

        ItemLookupResult got = Run(getter.GetItemAsync(target));
        Assert.That(got.Found, Is.True);
        Assert.That(Text(got.Item!.Value), Is.EqualTo("12:Hello World!"));
        Assert.That(got.Item.TryGetByteString(out ReadOnlyMemory<byte> text) ? Text(text) : null, Is.EqualTo("Hello World!"));
        Assert.That(got.Rejected, Is.Zero);

        Assert.That(Run(getter.GetItemAsync(ItemTarget.ForImmutable("5:other"u8))).Found, Is.False);
    }

    [Test]
    public void The_newest_mutable_item_is_found_and_stale_or_compare_and_swap_puts_come_back_refused_with_their_codes()
    {
        Build(_ => new FakeItemSignatures());
        DhtNode putter = Nodes[7], getter = Nodes[35];

        ItemPutResult first = Run(putter.PutMutableAsync(Signed(1, "5:first", "salt")));
        Assert.That(first.Accepted, Has.Count.EqualTo(Traversal.K));
        ItemPutResult second = Run(putter.PutMutableAsync(Signed(2, "6:second", "salt"), compareAndSwap: 1));
        Assert.That(second.Accepted, Has.Count.EqualTo(Traversal.K), string.Join(", ", second.Refused));

        ItemLookupResult got = Run(getter.GetItemAsync(Key, Latin1("salt")));
        Assert.That(got.Found, Is.True);
        Assert.That((Text(got.Item!.Value), got.Item.Sequence), Is.EqualTo(("6:second", (long?)2)));
        Assert.That(Run(getter.GetItemAsync(Key, Latin1("other salt"))).Found, Is.False, "the salt is part of the target");

        // libtorrent #3578: the caller sees why a put was not stored.
        ItemPutResult stale = Run(putter.PutMutableAsync(Signed(1, "5:first", "salt")));
        Assert.That(stale.Stored, Is.False);
        Assert.That(stale.Refused.Select(r => (r.Code, r.Message)).Distinct(), Is.EqualTo(new[] { (302, "sequence number less than current") }));
        Assert.That(stale.Refused, Has.Count.EqualTo(Traversal.K));

        ItemPutResult swapped = Run(putter.PutMutableAsync(Signed(3, "5:third", "salt"), compareAndSwap: 1));
        Assert.That(swapped.Refused.Select(r => r.Code).Distinct(), Is.EqualTo(new[] { 301 }));
        Assert.That(Text(Run(getter.GetItemAsync(Key, Latin1("salt"))).Item!.Value), Is.EqualTo("6:second"));
    }

    [Test]
    public void Nodes_without_a_verifier_refuse_mutable_puts_with_202_and_such_a_node_cannot_read_them()
    {
        Build(i => i == 0 ? new FakeItemSignatures() : null);
        ItemPutResult put = Run(Nodes[0].PutMutableAsync(Signed(1, "5:hello")));
        Assert.That(put.Stored, Is.False);
        Assert.That(put.Refused.Select(r => r.Code).Distinct(), Is.EqualTo(new[] { 202 }));
        Assert.That(() => Nodes[1].GetItemAsync(Key, default), Throws.InvalidOperationException.With.Message.Contains("ItemSignatureVerifier"));
    }

    [Test]
    public void A_put_of_an_item_that_does_not_verify_or_is_not_mutable_is_refused_before_anything_is_sent()
    {
        Build(_ => new FakeItemSignatures());
        DhtItem forged = DhtItem.Mutable(Key, [], 1, Latin1("5:hello"), new byte[64]);
        Assert.That(() => Nodes[0].PutMutableAsync(forged), Throws.ArgumentException.With.Message.Contains("signature"));
        Assert.That(() => Nodes[0].PutMutableAsync(DhtItem.Immutable(Latin1("5:hello"))), Throws.ArgumentException.With.Message.Contains("immutable"));
        Assert.That(() => Nodes[0].PutImmutableAsync(Latin1("5:hell")), Throws.ArgumentException.With.Message.Contains("not one bencoded value"));
        Assert.That(() => Nodes[0].PutImmutableAsync(new string('x', 997)), Throws.ArgumentException.With.Message.Contains("1000"));
        Assert.That(Nodes[0].GetStatistics().QueriesSent["put"], Is.Zero);
    }
}
