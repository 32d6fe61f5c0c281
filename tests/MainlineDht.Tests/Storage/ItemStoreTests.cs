using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Storage;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Storage;

/// <summary>BEP 44's rules on <see cref="ItemStore"/>: one test per error code and per outcome.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class ItemStoreTests
{
    private static readonly byte[] Key = Hex("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");
    private static readonly byte[] HelloWorld = Latin1("12:Hello World!");

    private readonly VirtualTimeProvider _clock = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeItemSignatures _verifier = new();

    private DateTimeOffset Now => _clock.GetUtcNow();

    private ItemStore Create(ItemStoreOptions? options = null) => new(options ?? new ItemStoreOptions(), _verifier);

    private static NodeId Target(byte[] salt) => ItemTarget.ForMutable(Key, salt);

    private static byte[] Sig(byte[] salt, long seq, byte[] value) => FakeItemSignatures.SignItem(Key, salt, seq, value);

    private ItemPutOutcome PutSigned(ItemStore store, byte[] salt, long seq, byte[] value, long? cas = null) =>
        store.PutMutable(Target(salt), new MutableItemPut(Key, salt, seq, value, Sig(salt, seq, value), cas), Now);

    private static string? StoredValue(ItemStore store, NodeId target, DateTimeOffset now) =>
        store.TryGet(target, now, out StoredItem? item) ? Text(item.Value.Span) : null;

    [Test]
    public void Default_options_are_libtorrents_700_items_and_BEPs_2_hours()
    {
        var options = new ItemStoreOptions();
        Assert.That(options.MaxItems, Is.EqualTo(700));
        Assert.That(options.ItemLifetime, Is.EqualTo(TimeSpan.FromHours(2)));
        Assert.That(() => Create(new ItemStoreOptions { MaxItems = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Create(new ItemStoreOptions { ItemLifetime = TimeSpan.Zero }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Immutable_item_is_stored_under_the_SHA1_of_its_value_and_served_verbatim()
    {
        ItemStore store = Create();
        NodeId target = NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb");
        Assert.That(store.PutImmutable(target, HelloWorld, Now), Is.EqualTo(ItemPutOutcome.Stored));

        Assert.That(store.TryGet(target, Now, out StoredItem? item), Is.True);
        Assert.That(Text(item!.Value.Span), Is.EqualTo("12:Hello World!"));
        Assert.That(item.IsMutable, Is.False);
        Assert.That(store.PutImmutable(target, HelloWorld, Now), Is.EqualTo(ItemPutOutcome.Refreshed));
        Assert.That(store.Count, Is.EqualTo(1));
    }

    [Test]
    public void A_decoded_put_query_is_stored_under_the_target_it_implies()
    {
        ItemStore store = Create();
        byte[] salt = Latin1("foobar");
        Assert.That(store.Put(new PutQuery { Token = Latin1("tok"), Value = HelloWorld }, Now), Is.EqualTo(ItemPutOutcome.Stored));
        var mutable = new PutQuery { Token = Latin1("tok"), Value = HelloWorld, PublicKey = Key, Salt = salt, Sequence = 1, Signature = Sig(salt, 1, HelloWorld) };
        Assert.That(store.Put(mutable, Now), Is.EqualTo(ItemPutOutcome.Stored));

        Assert.That(StoredValue(store, NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb"), Now), Is.EqualTo("12:Hello World!"));
        Assert.That(store.TryGet(NodeId.Parse("411eba73b6f087ca51a3795d9c8c938d365e32c1"), Now, out StoredItem? item), Is.True);
        Assert.That(item!.IsMutable && item.Sequence == 1 && item.PublicKey.Span.SequenceEqual(Key) && Text(item.Salt.Span) == "foobar", Is.True);
    }

    [Test]
    public void Error_205_a_value_over_1000_bytes_is_refused_and_1000_bytes_are_stored()
    {
        ItemStore store = Create();
        byte[] justFits = Latin1("996:" + new string('x', 996));   // 1000 bytes of bencode
        byte[] tooBig = Latin1("997:" + new string('x', 997));     // 1001
        Assert.That(store.PutImmutable(ItemTarget.ForImmutable(tooBig), tooBig, Now), Is.EqualTo(ItemPutOutcome.RefusedValueTooBig));
        Assert.That(PutSigned(store, [], 1, tooBig), Is.EqualTo(ItemPutOutcome.RefusedValueTooBig));
        Assert.That(store.Count, Is.Zero);

        Assert.That(store.PutImmutable(ItemTarget.ForImmutable(justFits), justFits, Now), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(PutSigned(store, [], 1, justFits), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(ItemPutOutcome.RefusedValueTooBig.ErrorCode(), Is.EqualTo(KrpcErrorCode.MessageTooBig));
    }

    [Test]
    public void Error_207_a_salt_over_64_bytes_is_refused_and_64_bytes_are_stored()
    {
        ItemStore store = Create();
        byte[] salt65 = new byte[65];
        byte[] salt64 = new byte[64];
        var put = new MutableItemPut(Key, salt65, 1, HelloWorld, new byte[64]);
        Assert.That(store.PutMutable(ItemTarget.ForMutable(Key, salt64), put, Now), Is.EqualTo(ItemPutOutcome.RefusedSaltTooBig));
        Assert.That(store.Put(new PutQuery { Value = HelloWorld, PublicKey = Key, Salt = salt65, Sequence = 1, Signature = new byte[64] }, Now), Is.EqualTo(ItemPutOutcome.RefusedSaltTooBig));
        Assert.That(PutSigned(store, salt64, 1, HelloWorld), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(ItemPutOutcome.RefusedSaltTooBig.ErrorCode(), Is.EqualTo(KrpcErrorCode.SaltTooBig));
    }

    [Test]
    public void Error_206_a_signature_that_does_not_cover_key_salt_seq_and_value_is_refused()
    {
        ItemStore store = Create();
        byte[] salt = Latin1("foobar");
        byte[] signature = Sig(salt, 1, HelloWorld);
        NodeId target = Target(salt);

        Assert.That(store.PutMutable(target, new MutableItemPut(Key, salt, 2, HelloWorld, signature), Now), Is.EqualTo(ItemPutOutcome.RefusedInvalidSignature), "seq");
        Assert.That(store.PutMutable(target, new MutableItemPut(Key, salt, 1, Latin1("12:Hello World?"), signature), Now), Is.EqualTo(ItemPutOutcome.RefusedInvalidSignature), "value");
        byte[] flipped = (byte[])signature.Clone();
        flipped[63] ^= 1;
        Assert.That(store.PutMutable(target, new MutableItemPut(Key, salt, 1, HelloWorld, flipped), Now), Is.EqualTo(ItemPutOutcome.RefusedInvalidSignature), "sig");
        byte[] otherSalt = Latin1("foobaz");
        Assert.That(store.PutMutable(Target(otherSalt), new MutableItemPut(Key, otherSalt, 1, HelloWorld, signature), Now), Is.EqualTo(ItemPutOutcome.RefusedInvalidSignature), "salt");
        Assert.That(store.Count, Is.Zero);

        Assert.That(store.PutMutable(target, new MutableItemPut(Key, salt, 1, HelloWorld, signature), Now), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(ItemPutOutcome.RefusedInvalidSignature.ErrorCode(), Is.EqualTo(KrpcErrorCode.InvalidSignature));
    }

    [Test]
    public void Error_301_cas_must_equal_the_stored_seq_and_is_ignored_when_nothing_is_stored()
    {
        ItemStore store = Create();
        Assert.That(PutSigned(store, [], 5, HelloWorld, cas: 3), Is.EqualTo(ItemPutOutcome.Stored), "no current value: cas ignored");

        Assert.That(PutSigned(store, [], 6, Latin1("3:six"), cas: 4), Is.EqualTo(ItemPutOutcome.RefusedCasMismatch));
        Assert.That(StoredValue(store, Target([]), Now), Is.EqualTo("12:Hello World!"));
        Assert.That(PutSigned(store, [], 6, Latin1("3:six"), cas: 5), Is.EqualTo(ItemPutOutcome.Updated));
        Assert.That(StoredValue(store, Target([]), Now), Is.EqualTo("3:six"));
        Assert.That(ItemPutOutcome.RefusedCasMismatch.ErrorCode(), Is.EqualTo(KrpcErrorCode.CasMismatch));
    }

    [Test]
    public void Error_302_a_lower_seq_is_refused()
    {
        ItemStore store = Create();
        Assert.That(PutSigned(store, [], 7, HelloWorld), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(PutSigned(store, [], 6, Latin1("3:old")), Is.EqualTo(ItemPutOutcome.RefusedSequenceTooLow));
        Assert.That(store.TryGet(Target([]), Now, out StoredItem? item) && item.Sequence == 7, Is.True);
        Assert.That(ItemPutOutcome.RefusedSequenceTooLow.ErrorCode(), Is.EqualTo(KrpcErrorCode.SequenceNumberTooLow));
    }

    [Test]
    public void Error_302_an_equal_seq_with_another_value_is_refused_and_with_the_same_value_refreshes()
    {
        ItemStore store = Create(new ItemStoreOptions { ItemLifetime = TimeSpan.FromMinutes(10) });
        Assert.That(PutSigned(store, [], 7, HelloWorld), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(PutSigned(store, [], 7, Latin1("5:other")), Is.EqualTo(ItemPutOutcome.RefusedSequenceNotNewer));
        Assert.That(ItemPutOutcome.RefusedSequenceNotNewer.ErrorCode(), Is.EqualTo(KrpcErrorCode.SequenceNumberTooLow));

        _clock.Advance(TimeSpan.FromMinutes(8));
        Assert.That(PutSigned(store, [], 7, HelloWorld), Is.EqualTo(ItemPutOutcome.Refreshed));
        _clock.Advance(TimeSpan.FromMinutes(8));
        Assert.That(StoredValue(store, Target([]), Now), Is.EqualTo("12:Hello World!"), "the same put again restarted the lifetime");
    }

    [Test]
    public void A_higher_seq_replaces_the_value_and_leaves_the_bytes_handed_out_before_intact()
    {
        ItemStore store = Create();
        PutSigned(store, [], 1, HelloWorld);
        store.TryGet(Target([]), Now, out StoredItem? item);
        ReadOnlyMemory<byte> before = item!.Value;
        ReadOnlyMemory<byte> signatureBefore = item.Signature;

        Assert.That(PutSigned(store, [], 2, Latin1("3:two")), Is.EqualTo(ItemPutOutcome.Updated));
        Assert.That(Text(before.Span), Is.EqualTo("12:Hello World!"));
        Assert.That(signatureBefore.Span.SequenceEqual(Sig([], 1, HelloWorld)), Is.True);
        Assert.That(store.TryGet(Target([]), Now, out item) && item.Sequence == 2 && Text(item.Value.Span) == "3:two", Is.True);
        Assert.That(item!.Signature.Span.SequenceEqual(Sig([], 2, Latin1("3:two"))), Is.True);
    }

    [Test]
    public void Error_203_an_item_is_never_stored_under_a_target_it_does_not_hash_to()
    {
        ItemStore store = Create();
        NodeId other = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
        Assert.That(store.PutImmutable(other, HelloWorld, Now), Is.EqualTo(ItemPutOutcome.RefusedTargetMismatch));
        byte[] salt = Latin1("foobar");
        var put = new MutableItemPut(Key, salt, 1, HelloWorld, Sig(salt, 1, HelloWorld));
        Assert.That(store.PutMutable(Target([]), put, Now), Is.EqualTo(ItemPutOutcome.RefusedTargetMismatch), "the target of the key without its salt");
        Assert.That(store.Count, Is.Zero);
        Assert.That(_verifier.Checks, Is.Zero, "the target is checked before the signature");
        Assert.That(ItemPutOutcome.RefusedTargetMismatch.ErrorCode(), Is.EqualTo(KrpcErrorCode.Protocol));
    }

    [TestCase("12:Hello")]          // truncated
    [TestCase("i1ei2e")]            // two values
    [TestCase("i01e")]              // not bencode
    public void Error_203_a_value_that_is_not_one_bencoded_value_is_refused(string value)
    {
        ItemStore store = Create();
        byte[] bytes = Latin1(value);
        Assert.That(store.PutImmutable(ItemTarget.ForImmutable(bytes), bytes, Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed));
        Assert.That(PutSigned(store, [], 1, bytes), Is.EqualTo(ItemPutOutcome.RefusedMalformed));
        Assert.That(store.PutImmutable(ItemTarget.ForImmutable([]), [], Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed), "empty");
        Assert.That(ItemPutOutcome.RefusedMalformed.ErrorCode(), Is.EqualTo(KrpcErrorCode.Protocol));
    }

    [Test]
    public void Error_203_a_mutable_put_missing_a_part_is_refused_and_never_stored_as_immutable()
    {
        ItemStore store = Create();
        byte[] signature = Sig([], 1, HelloWorld);
        Assert.That(store.Put(new PutQuery { Value = HelloWorld, PublicKey = Key, Signature = signature }, Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed), "no seq");
        Assert.That(store.Put(new PutQuery { Value = HelloWorld, Sequence = 1, Signature = signature }, Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed), "no k");
        Assert.That(store.Put(new PutQuery { Value = HelloWorld, PublicKey = Key, Sequence = 1, Signature = signature.AsMemory(1) }, Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed), "63-byte sig");
        Assert.That(store.Put(new PutQuery { Value = HelloWorld, PublicKey = Key.AsMemory(1), Sequence = 1, Signature = signature }, Now), Is.EqualTo(ItemPutOutcome.RefusedMalformed), "31-byte k");
        Assert.That(store.Count, Is.Zero);
    }

    [Test]
    public void Error_202_without_a_verifier_mutable_items_are_refused_and_immutable_ones_stored()
    {
        var store = new ItemStore(new ItemStoreOptions(), verifier: null);
        Assert.That(store.AcceptsMutableItems, Is.False);
        Assert.That(store.PutMutable(Target([]), new MutableItemPut(Key, [], 1, HelloWorld, Sig([], 1, HelloWorld)), Now), Is.EqualTo(ItemPutOutcome.RefusedMutableNotSupported));
        Assert.That(store.PutImmutable(ItemTarget.ForImmutable(HelloWorld), HelloWorld, Now), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(ItemPutOutcome.RefusedMutableNotSupported.ErrorCode(), Is.EqualTo(KrpcErrorCode.Server));
        Assert.That(ItemPutOutcome.RefusedMutableNotSupported.ErrorMessage(), Does.Contain("mutable items are not stored"));
    }

    [Test]
    public void Count_bound_drops_the_least_recently_refreshed_item()
    {
        ItemStore store = Create(new ItemStoreOptions { MaxItems = 3 });
        byte[][] values = [Latin1("1:a"), Latin1("1:b"), Latin1("1:c"), Latin1("1:d")];
        NodeId[] targets = values.Select(v => ItemTarget.ForImmutable(v)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(store.PutImmutable(targets[i], values[i], Now), Is.EqualTo(ItemPutOutcome.Stored));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.That(store.PutImmutable(targets[0], values[0], Now), Is.EqualTo(ItemPutOutcome.Refreshed), "a is now the freshest; b the stalest");
        Assert.That(store.PutImmutable(targets[3], values[3], Now), Is.EqualTo(ItemPutOutcome.StoredReplacingOldest));

        Assert.That(store.Count, Is.EqualTo(3));
        Assert.That(targets.Select(t => StoredValue(store, t, Now)), Is.EqualTo(new[] { "1:a", null, "1:c", "1:d" }));
    }

    [Test]
    public void Count_bound_holds_under_a_flood()
    {
        ItemStore store = Create(new ItemStoreOptions { MaxItems = 50 });
        for (int i = 0; i < 1000; i++)
        {
            byte[] value = Latin1($"i{i}e");
            store.PutImmutable(ItemTarget.ForImmutable(value), value, Now);
        }

        Assert.That(store.Count, Is.EqualTo(50));
        Assert.That(StoredValue(store, ItemTarget.ForImmutable(Latin1("i999e")), Now), Is.EqualTo("i999e"));
        Assert.That(StoredValue(store, ItemTarget.ForImmutable(Latin1("i949e")), Now), Is.Null);
    }

    [Test]
    public void Expiry_an_item_is_served_until_its_lifetime_after_the_last_put_and_never_from_then_on()
    {
        ItemStore store = Create();
        NodeId target = ItemTarget.ForImmutable(HelloWorld);
        store.PutImmutable(target, HelloWorld, Now);
        DateTimeOffset expiry = Now + TimeSpan.FromHours(2);

        Assert.That(StoredValue(store, target, expiry.AddTicks(-1)), Is.Not.Null);
        Assert.That(StoredValue(store, target, expiry), Is.Null);
        Assert.That(store.Count, Is.EqualTo(1), "memory is reclaimed by RemoveExpired");

        _clock.Advance(TimeSpan.FromHours(2));
        Assert.That(store.RemoveExpired(Now), Is.EqualTo(1));
        Assert.That(store.Count, Is.Zero);
    }

    [Test]
    public void Expiry_removes_only_the_expired_items_oldest_first()
    {
        ItemStore store = Create(new ItemStoreOptions { ItemLifetime = TimeSpan.FromMinutes(30) });
        byte[] a = Latin1("1:a"), b = Latin1("1:b"), c = Latin1("1:c");
        store.PutImmutable(ItemTarget.ForImmutable(a), a, Now);
        _clock.Advance(TimeSpan.FromMinutes(10));
        store.PutImmutable(ItemTarget.ForImmutable(b), b, Now);
        _clock.Advance(TimeSpan.FromMinutes(10));
        store.PutImmutable(ItemTarget.ForImmutable(c), c, Now);
        store.PutImmutable(ItemTarget.ForImmutable(a), a, Now);   // a refreshed: now the freshest

        _clock.Advance(TimeSpan.FromMinutes(20));                  // b is 30 min old, c 20, a 20
        Assert.That(store.RemoveExpired(Now), Is.EqualTo(1));
        Assert.That(new[] { a, b, c }.Select(v => StoredValue(store, ItemTarget.ForImmutable(v), Now)), Is.EqualTo(new[] { "1:a", null, "1:c" }));
    }

    [Test]
    public void Expiry_an_expired_mutable_item_no_longer_holds_back_a_lower_seq()
    {
        ItemStore store = Create();
        PutSigned(store, [], 9, HelloWorld);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.That(PutSigned(store, [], 3, Latin1("5:again"), cas: 9), Is.EqualTo(ItemPutOutcome.Stored), "as if nothing were stored: cas ignored");
        Assert.That(store.Count, Is.EqualTo(1));
    }

    [Test]
    public void A_clock_stepping_back_does_not_reorder_items()
    {
        ItemStore store = Create(new ItemStoreOptions { MaxItems = 2 });
        byte[] a = Latin1("1:a"), b = Latin1("1:b"), c = Latin1("1:c");
        store.PutImmutable(ItemTarget.ForImmutable(a), a, Now);
        store.PutImmutable(ItemTarget.ForImmutable(b), b, Now - TimeSpan.FromHours(1));
        store.PutImmutable(ItemTarget.ForImmutable(c), c, Now);
        Assert.That(new[] { a, b, c }.Select(v => StoredValue(store, ItemTarget.ForImmutable(v), Now)), Is.EqualTo(new[] { null, "1:b", "1:c" }));
    }

    [Test]
    public void Every_refusal_has_its_BEP_44_error_code_and_a_message()
    {
        var refusals = Enum.GetValues<ItemPutOutcome>().Where(o => !o.IsStored()).ToArray();
        Assert.That(refusals.Select(o => (int)o.ErrorCode()), Is.EqualTo(new[] { 205, 207, 203, 203, 202, 206, 301, 302, 302 }));
        Assert.That(refusals.Select(o => o.ErrorMessage()), Has.All.Not.Empty);
        Assert.That(() => ItemPutOutcome.Stored.ErrorCode(), Throws.ArgumentException);
    }
}
