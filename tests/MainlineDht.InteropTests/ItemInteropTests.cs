using System.Security.Cryptography;
using System.Text;
using MainlineDht.InteropTests.Support;
using MainlineDht.Items;
using MainlineDht.Protocol;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// What the BEP 44 interop tests share: a swarm of our nodes (each on its own 127.0.x.y address,
/// verifying ed25519) and one real client started fresh per test, so that an item the client reads
/// was not already in its own store.
/// </summary>
public abstract class ItemInteropFixture(DhtClientKind kind) : GuardedTest
{
    protected const int OurNodeCount = 12;
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    protected static readonly TimeSpan ItemTimeout = TimeSpan.FromSeconds(30);

    protected List<DhtNode> Nodes { get; } = [];
    private RealDhtClient? _client;

    protected DhtClientKind Kind => kind;

    [OneTimeSetUp]
    public void RequireClient() => RequireInstalled(kind);

    [TearDown]
    public async Task StopAll()
    {
        try
        {
            if (_client is not null)
            {
                if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
                {
                    await TestContext.Out.WriteLineAsync($"--- {kind} harness stderr (last lines) ---\n{_client.StderrTail}");
                }

                await _client.DisposeAsync();
                _client = null;
            }
        }
        finally
        {
            await OurNodes.DisposeAllAsync(Nodes);
            Nodes.Clear();
        }
    }

    /// <summary>Our nodes, joined to each other (the client does not know them yet).</summary>
    protected async Task StartSwarmAsync()
    {
        DhtNode hub = await OurNodes.StartAsync(LoopbackAddresses.Next());
        Nodes.Add(hub);
        for (int i = 1; i < OurNodeCount; i++)
        {
            Nodes.Add(await OurNodes.StartAsync(LoopbackAddresses.Next(), hub.LocalEndPoint));
        }

        await Task.WhenAll(Nodes.Skip(1).Select(n => n.JoinAsync())).Within(ItemTimeout);
        await Task.WhenAll(Nodes.Select(n => n.FindNodeAsync(n.Id))).Within(ItemTimeout);
    }

    /// <summary>Starts the client and has it meet three of our nodes (and our nodes it, as they answer its queries).</summary>
    protected async Task<RealDhtClient> StartClientAsync()
    {
        RealDhtClient client = _client = await RealDhtClient.StartAsync(kind, LoopbackAddresses.Next());
        foreach (DhtNode node in Nodes.Take(3))
        {
            Assert.That((await client.AddNodeAsync(node.LocalEndPoint, Wait)).InTable, Is.True, $"{kind} took {node.LocalEndPoint} into its table");
        }

        foreach (DhtNode node in Nodes)
        {
            await node.PingAsync(client.EndPoint); // our nodes may hand it out now, and put to it
        }

        await Task.WhenAll(Nodes.Select(n => n.FindNodeAsync(client.Id))).Within(ItemTimeout);
        return client;
    }

    protected int StoredByUs => Nodes.Sum(n => n.GetStatistics().StoredItems);

    /// <summary>A value (a text with a counter) whose target is closer to <paramref name="id"/> than to any of our nodes.</summary>
    protected (string Value, NodeId Target) ValueNearest(NodeId id, string prefix)
    {
        for (int i = 0; ; i++)
        {
            string value = $"{prefix} {i}";
            NodeId target = ItemTarget.ForImmutable(DhtItem.EncodeByteString(Encoding.UTF8.GetBytes(value)));
            if (Nodes.All(n => (id ^ target) < (n.Id ^ target)))
            {
                return (value, target);
            }
        }
    }

    /// <summary>A salt whose target under <paramref name="key"/> is closer to <paramref name="id"/> than to any of our nodes.</summary>
    protected string SaltNearest(NodeId id, SigningKey key)
    {
        for (int i = 0; ; i++)
        {
            string salt = $"salt {i}";
            NodeId target = ItemTarget.ForMutable(key.PublicKey.Span, Encoding.UTF8.GetBytes(salt));
            if (Nodes.All(n => (id ^ target) < (n.Id ^ target)))
            {
                return salt;
            }
        }
    }

    protected string ErrorsSent() =>
        string.Join(", ", Nodes.SelectMany(n => n.GetStatistics().ErrorsSent).Where(e => e.Value > 0).Select(e => $"{e.Key}×{e.Value}"));
}

/// <summary>
/// BEP 44 immutable items both ways with each real client: an item our nodes put is read by the
/// client's lookup and the client stores ours; an item the client puts is stored by our nodes and
/// read by <see cref="DhtNode.GetItemAsync(NodeId, CancellationToken)"/>.
/// </summary>
[TestFixtureSource(typeof(Clients), nameof(Clients.All))]
public sealed class ItemInteropTests(DhtClientKind kind) : ItemInteropFixture(kind)
{
    [Test]
    public async Task An_immutable_item_our_node_puts_is_read_by_the_client_and_the_client_stores_ours()
    {
        await StartSwarmAsync();

        // Put before the client exists: what it reads comes from our nodes.
        string text = $"from MainlineDht to {Kind} {Guid.NewGuid():N}";
        ItemPutResult put = await Nodes[4].PutImmutableAsync(text).Within(ItemTimeout);
        Assert.That(put.Accepted, Has.Count.EqualTo(Math.Min(8, OurNodeCount - 1)), $"refused: {string.Join(", ", put.Refused)}");

        RealDhtClient client = await StartClientAsync();
        ClientGetResult read = await client.GetAsync(put.Item.Target, ItemTimeout);
        Assert.That((read.Found, read.Value), Is.EqualTo((true, text)), $"{Kind} read {read}");
        Assert.That(read.StoredLocally, Is.False);

        // An item whose closest node is the client: the client stores what we put (our token
        // round trip through its get reply, our put query), and answers the put.
        (string near, NodeId target) = ValueNearest(client.Id, "stored by the client");
        ItemPutResult stored = await Nodes[7].PutImmutableAsync(near).Within(ItemTimeout);
        Assert.That(stored.Item.Target, Is.EqualTo(target));
        Assert.That(stored.Accepted.Select(n => n.Id), Does.Contain(client.Id), $"refused: {string.Join(", ", stored.Refused)}; unanswered: {string.Join(", ", stored.Unanswered)}");
        Assert.That(stored.Refused, Is.Empty);
    }

    [Test]
    public async Task An_immutable_item_the_client_puts_is_stored_by_our_nodes_and_read_by_our_get()
    {
        await StartSwarmAsync();
        RealDhtClient client = await StartClientAsync();

        string text = $"from {Kind} to MainlineDht {Guid.NewGuid():N}";
        ClientPutResult put = await client.PutAsync(text, ItemTimeout);
        Assert.That(put.Ok, Is.True, $"{Kind} put: {put}");
        NodeId target = ItemTarget.ForImmutable(DhtItem.EncodeByteString(Encoding.UTF8.GetBytes(text)));
        Assert.That(put.Target, Is.EqualTo(target), "the client's target: SHA-1 of the bencoded value");
        Assert.That(await UntilAsync(() => StoredByUs >= 1, Wait), Is.True, $"our nodes stored none of the client's put; errors sent: {ErrorsSent()}");
        Assert.That(Nodes.Sum(n => n.GetStatistics().ErrorsSent.Values.Sum()), Is.Zero, ErrorsSent());

        ItemLookupResult read = await Nodes[9].GetItemAsync(target).Within(ItemTimeout);
        Assert.That(read.Found, Is.True, $"our get: {read.Report}");
        Assert.That(read.Item!.TryGetByteString(out ReadOnlyMemory<byte> bytes) ? Encoding.UTF8.GetString(bytes.Span) : null, Is.EqualTo(text));
        Assert.That(read.Rejected, Is.Zero);
    }
}

/// <summary>
/// BEP 44 signed (mutable) items both ways with bittorrent-dht, whose ed25519 is Node's own crypto
/// (libtorrent 2.0.8's harness is used for immutable items only): an item it puts is read and
/// verified by our get, an update too; an item we put is read and verified by its lookup, and it
/// stores ours and refuses an older one with 302.
/// </summary>
public sealed class WebTorrentSignedItemTests() : ItemInteropFixture(DhtClientKind.WebTorrent)
{
    [Test]
    public async Task A_mutable_item_bittorrent_dht_puts_is_read_and_verified_by_ours_and_its_update_too()
    {
        await StartSwarmAsync();
        RealDhtClient client = await StartClientAsync();
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        using SigningKey key = SigningKey.FromSeed(seed);

        ClientPutResult first = await client.PutAsync("first version", ItemTimeout, seed, sequence: 1, salt: "interop");
        Assert.That(first.Ok, Is.True, $"{Kind} put: {first}");
        Assert.That(first.PublicKey, Is.EqualTo(key.PublicKey.ToArray()), "Node's ed25519 and libsodium derive the same key from a seed");
        Assert.That(first.Target, Is.EqualTo(ItemTarget.ForMutable(key.PublicKey.Span, "interop"u8)), "the salt is part of the target");
        Assert.That(await UntilAsync(() => StoredByUs >= 1, Wait), Is.True, $"our nodes stored none of its put; errors sent: {ErrorsSent()}");

        ItemLookupResult read = await Nodes[10].GetItemAsync(key.PublicKey, "interop"u8.ToArray()).Within(ItemTimeout);
        Assert.That(read.Found, Is.True, $"our get: {read.Report}; rejected {read.Rejected}");
        Assert.That((read.Item!.Sequence, Encoding.UTF8.GetString(read.Item.Value.Span)), Is.EqualTo(((long?)1, "13:first version")));
        Assert.That(read.Item.VerifySignature(Ed25519ItemSignatureVerifier.Instance), Is.True);

        ClientPutResult second = await client.PutAsync("second version", ItemTimeout, seed, sequence: 2, salt: "interop");
        Assert.That(second.Ok, Is.True, $"{Kind} put: {second}");
        ItemLookupResult updated = await Nodes[11].GetItemAsync(key.PublicKey, "interop"u8.ToArray()).Within(ItemTimeout);
        Assert.That((updated.Item?.Sequence, updated.Item is null ? null : Encoding.UTF8.GetString(updated.Item.Value.Span)), Is.EqualTo(((long?)2, "14:second version")));
        Assert.That(Nodes.Sum(n => n.GetStatistics().ErrorsSent.Values.Sum()), Is.Zero, ErrorsSent());
    }

    [Test]
    public async Task A_mutable_item_we_put_is_read_and_verified_by_bittorrent_dht_which_also_stores_ours()
    {
        await StartSwarmAsync();
        using SigningKey key = SigningKey.Generate();

        // Put before the client exists: it reads and verifies the copy on our nodes.
        ItemPutResult put = await Nodes[2].PutMutableAsync(key, DhtItem.EncodeByteString("signed by MainlineDht"u8), "interop"u8.ToArray()).Within(ItemTimeout);
        Assert.That((put.Item.Sequence, put.Accepted.Count), Is.EqualTo(((long?)1, Math.Min(8, OurNodeCount - 1))), $"refused: {string.Join(", ", put.Refused)}");

        RealDhtClient client = await StartClientAsync();
        ClientGetResult read = await client.GetAsync(put.Item.Target, ItemTimeout, salt: "interop");
        Assert.That((read.Found, read.Value, read.Sequence), Is.EqualTo((true, "signed by MainlineDht", (long?)1)), $"{Kind} read {read}");
        Assert.That(read.PublicKey, Is.EqualTo(key.PublicKey.ToArray()));
        Assert.That(read.SignaturesValid, Is.GreaterThanOrEqualTo(1), "its ed25519 check accepted our signature");
        Assert.That(read.StoredLocally, Is.False);

        // A salt whose target's closest node is the client: it verifies and stores our put (sequence 1, then 2).
        string salt = SaltNearest(client.Id, key);
        for (long seq = 1; seq <= 2; seq++)
        {
            ItemPutResult stored = await Nodes[5].PutMutableAsync(key, DhtItem.EncodeByteString(Encoding.UTF8.GetBytes($"version {seq}")), Encoding.UTF8.GetBytes(salt), seq).Within(ItemTimeout);
            Assert.That(stored.Accepted.Select(n => n.Id), Does.Contain(client.Id), $"seq {seq}: refused {string.Join(", ", stored.Refused)}; unanswered {string.Join(", ", stored.Unanswered)}");
        }

        // And refuses an older one, as BEP 44 says, with its own words: our report shows it.
        ItemPutResult stale = await Nodes[5].PutMutableAsync(key, DhtItem.EncodeByteString("version 1"u8), Encoding.UTF8.GetBytes(salt), 1).Within(ItemTimeout);
        Assert.That(stale.Refused.Where(r => r.Node.Id == client.Id).Select(r => r.Code), Is.EqualTo(new[] { 302 }), string.Join(", ", stale.Refused));
    }
}
