using System.Net;
using System.Text;
using MainlineDht.Simulation;
using MainlineDht.TestSupport;

namespace MainlineDht.Items.Tests;

/// <summary>
/// Mutable items signed with ed25519 and put through nodes on the in-memory network (virtual time):
/// the extension signs, reads the current sequence number when none is given, and the nodes verify.
/// </summary>
public sealed class MutableItemPutTests : GuardedTest
{
    private readonly List<DhtNode> _nodes = [];
    private VirtualTimeProvider _clock = null!;

    [SetUp]
    public void StartSwarm()
    {
        _clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(_clock, new Random(1)) { Latency = (_, _) => TimeSpan.FromMilliseconds(10) };
        for (int i = 0; i < 20; i++)
        {
            DhtNode node = network.StartNode(new DhtNodeOptions
            {
                BindEndPoint = new IPEndPoint(new IPAddress([127, 3, 0, (byte)(i + 1)]), 6881),
                RandomSeed = i + 1,
                UsePublicRouters = false,
                BootstrapNodes = i == 0 ? [] : [_nodes[0].LocalEndPoint.ToString()],
                SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 0,
                ItemSignatureVerifier = Ed25519ItemSignatureVerifier.Instance,
            });
            _nodes.Add(node);
            if (i > 0)
            {
                Run(node.JoinAsync());
            }
        }
    }

    [TearDown]
    public async Task StopSwarm()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private T Run<T>(Task<T> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(2)), Is.True, "did not complete on virtual time");
        return task.GetAwaiter().GetResult();
    }

    [Test]
    public void Without_a_sequence_number_each_put_takes_the_one_after_the_current_and_the_newest_is_read_back()
    {
        using SigningKey key = SigningKey.Generate();
        byte[] salt = Encoding.ASCII.GetBytes("profile");

        ItemPutResult first = Run(_nodes[2].PutMutableAsync(key, DhtItem.EncodeByteString("one"u8), salt));
        Assert.That((first.Item.Sequence, first.Accepted.Count), Is.EqualTo(((long?)1, 8)), string.Join(", ", first.Refused));
        ItemPutResult second = Run(_nodes[9].PutMutableAsync(key, DhtItem.EncodeByteString("two"u8), salt));
        Assert.That((second.Item.Sequence, second.Accepted.Count), Is.EqualTo(((long?)2, 8)), string.Join(", ", second.Refused));

        ItemLookupResult read = Run(_nodes[15].GetItemAsync(key.PublicKey, salt));
        Assert.That(read.Found, Is.True);
        Assert.That((read.Item!.Sequence, Encoding.ASCII.GetString(read.Item.Value.Span)), Is.EqualTo(((long?)2, "3:two")));
        Assert.That(read.Item.VerifySignature(Ed25519ItemSignatureVerifier.Instance), Is.True);
        Assert.That(read.Item.Target, Is.EqualTo(ItemTarget.ForMutable(key.PublicKey.Span, salt)));
    }

    [Test]
    public void A_given_sequence_number_that_is_not_newer_is_refused_with_302_and_a_wrong_cas_with_301()
    {
        using SigningKey key = SigningKey.FromSeed(new byte[32]);
        Run(_nodes[1].PutMutableAsync(key, DhtItem.EncodeByteString("five"u8), sequence: 5));

        ItemPutResult older = Run(_nodes[1].PutMutableAsync(key, DhtItem.EncodeByteString("four"u8), sequence: 4));
        Assert.That(older.Stored, Is.False);
        Assert.That(older.Refused.Select(r => r.Code).Distinct(), Is.EqualTo(new[] { 302 }));

        ItemPutResult wrongCas = Run(_nodes[1].PutMutableAsync(key, DhtItem.EncodeByteString("six"u8), sequence: 6, compareAndSwap: 4));
        Assert.That(wrongCas.Refused.Select(r => r.Code).Distinct(), Is.EqualTo(new[] { 301 }));

        ItemPutResult rightCas = Run(_nodes[1].PutMutableAsync(key, DhtItem.EncodeByteString("six"u8), sequence: 6, compareAndSwap: 5));
        Assert.That(rightCas.Accepted, Has.Count.EqualTo(8));
    }

    [Test]
    public void A_signed_item_from_the_key_is_checked_like_any_other()
    {
        using SigningKey key = SigningKey.Generate();
        DhtItem item = key.CreateMutableItem("i7e"u8, "s"u8, 7);
        Assert.That((item.IsMutable, item.Sequence, Encoding.ASCII.GetString(item.Salt.Span)), Is.EqualTo((true, (long?)7, "s")));
        Assert.That(item.VerifySignature(Ed25519ItemSignatureVerifier.Instance), Is.True);
        Assert.That(() => key.CreateMutableItem("i7"u8, default, 1), Throws.ArgumentException);
        Assert.That(() => _nodes[0].PutMutableAsync(key, new byte[1001]), Throws.ArgumentException.With.Message.Contains("1000"));
    }
}
