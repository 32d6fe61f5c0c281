using System.Text;
using MainlineDht.Items;

namespace MainlineDht.Items.Tests;

/// <summary>
/// Signing keys: a seed is an RFC 8032 private key, signing round-trips through verification (BEP
/// 44's private key is in another library's expanded form and cannot be imported), and the private
/// key never shows in a string.
/// </summary>
public class SigningKeyTests
{
    // RFC 8032, section 7.1, TEST 1: secret key (seed), public key, and the signature of the empty message.
    private static readonly byte[] RfcSeed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private const string RfcPublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string RfcSignature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    [Test]
    public void A_seed_is_an_RFC_8032_private_key()
    {
        using SigningKey key = SigningKey.FromSeed(RfcSeed);
        Assert.That(Convert.ToHexStringLower(key.PublicKey.Span), Is.EqualTo(RfcPublicKey));
        Assert.That(Convert.ToHexStringLower(key.Sign([])), Is.EqualTo(RfcSignature));
        Assert.That(key.ExportSeed(), Is.EqualTo(RfcSeed));
    }

    [Test]
    public void A_signed_item_verifies_for_its_key_with_and_without_salt()
    {
        using SigningKey key = SigningKey.Generate();
        byte[] value = Encoding.ASCII.GetBytes("12:Hello World!");
        foreach (byte[] salt in new[] { Array.Empty<byte>(), Encoding.ASCII.GetBytes("foobar") })
        {
            byte[] signature = key.SignItem(salt, 1, value);
            Assert.That(signature, Has.Length.EqualTo(ItemSignature.SignatureSize));
            Assert.That(ItemSignature.Verify(Ed25519ItemSignatureVerifier.Instance, key.PublicKey.Span, salt, 1, value, signature), Is.True);
            Assert.That(ItemSignature.Verify(Ed25519ItemSignatureVerifier.Instance, key.PublicKey.Span, salt, 2, value, signature), Is.False);
        }
    }

    [Test]
    public void Generated_keys_differ_and_a_saved_seed_gives_the_same_key_back()
    {
        using SigningKey a = SigningKey.Generate();
        using SigningKey b = SigningKey.Generate();
        Assert.That(a.PublicKey.ToArray(), Is.Not.EqualTo(b.PublicKey.ToArray()));

        using SigningKey again = SigningKey.FromSeed(a.ExportSeed());
        Assert.That(again.PublicKey.ToArray(), Is.EqualTo(a.PublicKey.ToArray()));
        Assert.That(again.SignItem([], 3, "i1e"u8), Is.EqualTo(a.SignItem([], 3, "i1e"u8)), "ed25519 is deterministic");
    }

    [Test]
    public void A_seed_of_another_size_is_refused()
    {
        Assert.That(() => SigningKey.FromSeed(new byte[31]), Throws.ArgumentException);
        Assert.That(() => SigningKey.FromSeed(new byte[64]), Throws.ArgumentException, "BEP 44's expanded 64-byte private key is not a seed");
    }

    [Test]
    public void ToString_names_the_public_key_and_never_the_private_one()
    {
        using SigningKey key = SigningKey.FromSeed(RfcSeed);
        string text = key.ToString();
        Assert.That(text, Does.Contain(RfcPublicKey));
        Assert.That(text, Does.Not.Contain(Convert.ToHexStringLower(RfcSeed)).And.Not.Contain(Convert.ToHexString(RfcSeed)).And.Not.Contain(Convert.ToBase64String(RfcSeed)));
    }

    [Test]
    public void A_disposed_key_signs_nothing()
    {
        SigningKey key = SigningKey.Generate();
        key.Dispose();
        Assert.That(() => key.Sign([1, 2, 3]), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => key.ExportSeed(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(key.PublicKey.Length, Is.EqualTo(32), "the public key stays readable");
    }
}
