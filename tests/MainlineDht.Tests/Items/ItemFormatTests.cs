using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Items;

/// <summary>BEP 44's byte-level rules: targets and the signed buffer, against the BEP's own vectors.</summary>
public class ItemFormatTests
{
    // BEP 44 test vectors (bep_0044.rst, "Test vectors").
    private static readonly byte[] VectorPublicKey = Hex("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548");

    [Test]
    public void Immutable_target_is_the_SHA1_of_the_bencoded_value_BEP_vector()
    {
        Assert.That(ItemTarget.ForImmutable(Latin1("12:Hello World!")), Is.EqualTo(NodeId.Parse("e5f96f6f38320f0f33959cb4d3d656452117aadb")));
    }

    [Test]
    public void Mutable_target_is_the_SHA1_of_key_and_salt_BEP_vectors()
    {
        Assert.That(ItemTarget.ForMutable(VectorPublicKey, []), Is.EqualTo(NodeId.Parse("4a533d47ec9c7d95b1ad75f576cffc641853b750")));
        Assert.That(ItemTarget.ForMutable(VectorPublicKey, Latin1("foobar")), Is.EqualTo(NodeId.Parse("411eba73b6f087ca51a3795d9c8c938d365e32c1")));
    }

    [Test]
    public void Mutable_target_refuses_a_wrong_key_size_or_a_salt_over_64_bytes()
    {
        Assert.That(() => ItemTarget.ForMutable(new byte[31], []), Throws.ArgumentException);
        Assert.That(() => ItemTarget.ForMutable(VectorPublicKey, new byte[65]), Throws.ArgumentException);
        Assert.That(() => ItemTarget.ForMutable(VectorPublicKey, new byte[64]), Throws.Nothing);
    }

    [Test]
    public void Signed_buffer_without_salt_is_the_BEP_vector()
    {
        byte[] buffer = ItemSignature.CreateSignedBuffer([], 1, Latin1("12:Hello World!"));
        Assert.That(Text(buffer), Is.EqualTo("3:seqi1e1:v12:Hello World!"));
    }

    [Test]
    public void Signed_buffer_with_salt_is_the_BEP_vector()
    {
        byte[] buffer = ItemSignature.CreateSignedBuffer(Latin1("foobar"), 1, Latin1("12:Hello World!"));
        Assert.That(Text(buffer), Is.EqualTo("4:salt6:foobar3:seqi1e1:v12:Hello World!"));
    }

    [TestCase(0L, "3:seqi0e1:vi7e")]
    [TestCase(4L, "3:seqi4e1:vi7e")]
    [TestCase(-12L, "3:seqi-12e1:vi7e")]
    [TestCase(long.MaxValue, "3:seqi9223372036854775807e1:vi7e")]
    [TestCase(long.MinValue, "3:seqi-9223372036854775808e1:vi7e")]
    public void Signed_buffer_writes_seq_as_a_bencoded_integer(long sequence, string expected)
    {
        Assert.That(Text(ItemSignature.CreateSignedBuffer([], sequence, Latin1("i7e"))), Is.EqualTo(expected));
        Assert.That(ItemSignature.GetSignedBufferLength(0, sequence, 3), Is.EqualTo(expected.Length));
    }

    [Test]
    public void Signed_buffer_of_a_64_byte_salt_and_a_value_of_any_bencoded_type_is_verbatim()
    {
        byte[] salt = Latin1(new string('s', 64));
        byte[] value = Latin1("d1:ai1e1:bl3:xyzee");
        byte[] buffer = ItemSignature.CreateSignedBuffer(salt, 12, value);
        Assert.That(Text(buffer), Is.EqualTo("4:salt64:" + new string('s', 64) + "3:seqi12e1:vd1:ai1e1:bl3:xyzee"));
    }

    [Test]
    public void Writing_into_a_short_destination_is_refused_and_a_fitting_one_allocates_nothing()
    {
        byte[] salt = Latin1("foobar");
        byte[] value = Latin1("12:Hello World!");
        int length = ItemSignature.GetSignedBufferLength(salt.Length, 1, value.Length);
        Assert.That(() => ItemSignature.WriteSignedBuffer(salt, 1, value, new byte[length - 1]), Throws.ArgumentException);

        var destination = new byte[length + 10];
        ItemSignature.WriteSignedBuffer(salt, 1, value, destination);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int written = ItemSignature.WriteSignedBuffer(salt, 1, value, destination);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(written, Is.EqualTo(length));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Verify_hands_the_verifier_the_signed_buffer_and_refuses_wrong_sizes_without_asking_it()
    {
        var verifier = new FakeItemSignatures();
        byte[] key = new byte[32];
        byte[] value = Latin1("12:Hello World!");
        byte[] signature = FakeItemSignatures.Sign(key, Latin1("4:salt6:foobar3:seqi1e1:v12:Hello World!"));

        Assert.That(ItemSignature.Verify(verifier, key, Latin1("foobar"), 1, value, signature), Is.True);
        Assert.That(ItemSignature.Verify(verifier, key, [], 1, value, signature), Is.False, "the salt is signed");
        Assert.That(ItemSignature.Verify(verifier, key, Latin1("foobar"), 2, value, signature), Is.False, "seq is signed");
        Assert.That(verifier.Checks, Is.EqualTo(3));

        Assert.That(ItemSignature.Verify(verifier, new byte[31], Latin1("foobar"), 1, value, signature), Is.False);
        Assert.That(ItemSignature.Verify(verifier, key, Latin1("foobar"), 1, value, signature.AsSpan(1)), Is.False);
        Assert.That(verifier.Checks, Is.EqualTo(3), "sizes are refused before the verifier is asked");
    }
}
