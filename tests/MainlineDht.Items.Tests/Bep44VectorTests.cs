using System.Text;
using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Items.Tests;

/// <summary>
/// BEP 44's test vectors with real ed25519 (libsodium through NSec): both mutable signatures verify
/// for their targets, any change to what was signed breaks them, and the core's store accepts the
/// vectors' puts with this verifier.
/// </summary>
public class Bep44VectorTests
{
    private static readonly byte[] PublicKey = Convert.FromHexString("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");
    private static readonly byte[] Value = Encoding.ASCII.GetBytes("12:Hello World!");
    private static readonly byte[] Salt = Encoding.ASCII.GetBytes("foobar");

    private static readonly byte[] SignatureNoSalt = Convert.FromHexString(
        "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01");

    private static readonly byte[] SignatureWithSalt = Convert.FromHexString(
        "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08");

    private static IItemSignatureVerifier Verifier => Ed25519ItemSignatureVerifier.Instance;

    [Test]
    public void Mutable_vector_without_salt_verifies_and_has_its_target()
    {
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, [], 1, Value, SignatureNoSalt), Is.True);
        Assert.That(Verifier.Verify(PublicKey, Encoding.ASCII.GetBytes("3:seqi1e1:v12:Hello World!"), SignatureNoSalt), Is.True);
        Assert.That(ItemTarget.ForMutable(PublicKey, []), Is.EqualTo(NodeId.Parse("4a533d47ec9c7d95b1ad75f576cffc641853b750")));
    }

    [Test]
    public void Mutable_vector_with_salt_verifies_and_has_its_target()
    {
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, Salt, 1, Value, SignatureWithSalt), Is.True);
        Assert.That(Verifier.Verify(PublicKey, Encoding.ASCII.GetBytes("4:salt6:foobar3:seqi1e1:v12:Hello World!"), SignatureWithSalt), Is.True);
        Assert.That(ItemTarget.ForMutable(PublicKey, Salt), Is.EqualTo(NodeId.Parse("411eba73b6f087ca51a3795d9c8c938d365e32c1")));
    }

    [Test]
    public void Immutable_vector_target_matches()
    {
        Assert.That(ItemTarget.ForImmutable(Value), Is.EqualTo(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb")));
    }

    [Test]
    public void Changing_anything_that_was_signed_breaks_the_vector_signatures()
    {
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, [], 2, Value, SignatureNoSalt), Is.False, "seq");
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, [], 1, Encoding.ASCII.GetBytes("12:Hello World?"), SignatureNoSalt), Is.False, "value");
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, Salt, 1, Value, SignatureNoSalt), Is.False, "salt added");
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, [], 1, Value, SignatureWithSalt), Is.False, "salt left out");
        byte[] otherKey = (byte[])PublicKey.Clone();
        otherKey[0] ^= 1;
        Assert.That(ItemSignature.Verify(Verifier, otherKey, [], 1, Value, SignatureNoSalt), Is.False, "key");
        byte[] signature = (byte[])SignatureNoSalt.Clone();
        signature[10] ^= 0x80;
        Assert.That(ItemSignature.Verify(Verifier, PublicKey, [], 1, Value, signature), Is.False, "signature");
    }

    [Test]
    public void Untrusted_keys_and_signatures_of_any_shape_give_false_never_an_exception()
    {
        byte[] buffer = ItemSignature.CreateSignedBuffer([], 1, Value);
        Assert.That(Verifier.Verify(PublicKey.AsSpan(1), buffer, SignatureNoSalt), Is.False);
        Assert.That(Verifier.Verify(PublicKey, buffer, SignatureNoSalt.AsSpan(1)), Is.False);
        Assert.That(Verifier.Verify([], buffer, []), Is.False);
        Assert.That(Verifier.Verify(new byte[32], buffer, SignatureNoSalt), Is.False, "the all-zero key");
        Assert.That(Verifier.Verify(Enumerable.Repeat((byte)0xff, 32).ToArray(), buffer, SignatureNoSalt), Is.False, "not a curve point");
    }

    [Test]
    public void The_core_store_with_this_verifier_accepts_the_vector_puts_and_refuses_a_forged_one_with_206()
    {
        var store = new ItemStore(new ItemStoreOptions(), Verifier);
        DateTimeOffset now = DateTimeOffset.UnixEpoch;
        var noSalt = new PutQuery { Token = new byte[] { 1 }, Value = Value, PublicKey = PublicKey, Sequence = 1, Signature = SignatureNoSalt };
        var withSalt = new PutQuery { Token = new byte[] { 1 }, Value = Value, PublicKey = PublicKey, Salt = Salt, Sequence = 1, Signature = SignatureWithSalt };
        var forged = new PutQuery { Token = new byte[] { 1 }, Value = Encoding.ASCII.GetBytes("6:Forged"), PublicKey = PublicKey, Sequence = 2, Signature = SignatureNoSalt };

        Assert.That(store.Put(noSalt, now), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(store.Put(withSalt, now), Is.EqualTo(ItemPutOutcome.Stored));
        Assert.That(store.Put(forged, now), Is.EqualTo(ItemPutOutcome.RefusedInvalidSignature));
        Assert.That(store.Put(forged, now).ErrorCode(), Is.EqualTo(KrpcErrorCode.InvalidSignature));
        Assert.That(store.TryGet(NodeId.Parse("4a533d47ec9c7d95b1ad75f576cffc641853b750"), now, out StoredItem? item) && item.Sequence == 1, Is.True);
    }
}
