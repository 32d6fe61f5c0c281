using MainlineDht.PeerWire.Wire;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Wire;

/// <summary>The BEP 10 extended handshake, with the BEP 9 and BEP 10 examples.</summary>
public sealed class ExtendedHandshakeTests
{
    [Test]
    public void Ours_offers_ut_metadata_with_our_id_and_our_client()
    {
        byte[] ours = new ExtendedHandshake { UtMetadataId = 3, Client = "MainlineDht 0.1" }.Encode();

        Assert.That(Text(ours), Is.EqualTo("d1:md11:ut_metadatai3ee1:v15:MainlineDht 0.1e"));
    }

    [Test]
    public void With_every_field_keys_are_sorted()
    {
        byte[] ours = new ExtendedHandshake { UtMetadataId = 1, MetadataSize = 31235, RequestQueue = 250, Client = "x" }.Encode();

        Assert.That(Text(ours), Is.EqualTo("d1:md11:ut_metadatai1ee13:metadata_sizei31235e4:reqqi250e1:v1:xe"));
    }

    [Test]
    public void The_bep9_example_reads()
    {
        // BEP 9: {'m': {'ut_metadata': 3}, 'metadata_size': 31235}
        ExtendedHandshake theirs = ExtendedHandshake.Decode(Latin1("d1:md11:ut_metadatai3ee13:metadata_sizei31235ee"));

        Assert.That((theirs.UtMetadataId, theirs.MetadataSize, theirs.Client), Is.EqualTo(((byte)3, (long?)31235, (string?)null)));
    }

    [Test]
    public void The_bep10_example_reads_and_unknown_keys_are_skipped()
    {
        // BEP 10: {'m': {'LT_metadata': 1, 'ut_pex': 2}, 'p': 6881, 'v': 'µTorrent 1.2'} (µ in UTF-8), with nested values to skip.
        ExtendedHandshake theirs = ExtendedHandshake.Decode(Latin1("d1:md11:LT_metadatai1e6:ut_pexi2ee1:pi6881e1:v13:\u00c2\u00b5Torrent 1.26:yourip4:\u007f\0\0\u00015:zlistli1eli2eedeee"));

        Assert.That((theirs.UtMetadataId, theirs.MetadataSize, theirs.Client), Is.EqualTo(((byte)0, (long?)null, "µTorrent 1.2")));
    }

    [Test]
    public void Reqq_is_read()
    {
        Assert.That(ExtendedHandshake.Decode(Latin1("d1:mde4:reqqi500ee")).RequestQueue, Is.EqualTo(500));
    }

    [TestCase("le", "is not a dictionary")]
    [TestCase("d1:md11:ut_metadatai3ee", "is not well-formed bencode")]
    [TestCase("d1:md11:ut_metadatai300eee", "gives ut_metadata the id 300")]
    [TestCase("d1:mi", "is not well-formed bencode")]
    public void Malformed_is_a_clear_error(string payload, string message)
    {
        var e = Assert.Throws<PeerProtocolException>(() => ExtendedHandshake.Decode(Latin1(payload)));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.MalformedExtendedMessage));
        Assert.That(e.Message, Does.Contain(message));
    }
}
