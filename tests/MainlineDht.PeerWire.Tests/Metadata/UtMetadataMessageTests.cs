using MainlineDht.PeerWire.Metadata;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Metadata;

/// <summary>BEP 9 <c>ut_metadata</c> messages: the BEP's examples, byte for byte.</summary>
public sealed class UtMetadataMessageTests
{
    [Test]
    public void Request_is_the_bep9_example()
    {
        Assert.That(Text(UtMetadataMessage.EncodeRequest(0)), Is.EqualTo("d8:msg_typei0e5:piecei0ee"));
    }

    [Test]
    public void Reject_is_the_bep9_example()
    {
        Assert.That(Text(UtMetadataMessage.EncodeReject(0)), Is.EqualTo("d8:msg_typei2e5:piecei0ee"));
    }

    [Test]
    public void Data_is_the_bep9_example_followed_by_the_piece()
    {
        Assert.That(Text(UtMetadataMessage.EncodeData(0, 34256, "xxxxxxxx"u8)), Is.EqualTo("d8:msg_typei1e5:piecei0e10:total_sizei34256eexxxxxxxx"));
    }

    [Test]
    public void Data_decodes_with_the_offset_of_its_piece()
    {
        byte[] payload = Latin1("d8:msg_typei1e5:piecei2e10:total_sizei34256eeDATA");

        UtMetadataMessage m = UtMetadataMessage.Decode(payload);

        Assert.That((m.Type, m.Piece, m.TotalSize), Is.EqualTo((1L, 2L, (long?)34256)));
        Assert.That(Text(payload.AsSpan(m.DataOffset)), Is.EqualTo("DATA"));
    }

    [Test]
    public void Data_that_looks_like_bencode_is_not_read_as_bencode()
    {
        byte[] payload = Latin1("d8:msg_typei1e5:piecei0eed4:junk");

        UtMetadataMessage m = UtMetadataMessage.Decode(payload);

        Assert.That(Text(payload.AsSpan(m.DataOffset)), Is.EqualTo("d4:junk"));
    }

    [Test]
    public void Unknown_keys_are_skipped()
    {
        UtMetadataMessage m = UtMetadataMessage.Decode(Latin1("d1:ali1ee8:msg_typei0e5:piecei5e1:zd1:xi1eee"));

        Assert.That((m.Type, m.Piece, m.TotalSize), Is.EqualTo((0L, 5L, (long?)null)));
    }

    [TestCase("i1e", "is not a dictionary")]
    [TestCase("d5:piecei0ee", "has no msg_type")]
    [TestCase("d8:msg_typei0ee", "has no piece")]
    [TestCase("d8:msg_typei0e5:piecei0e", "is not a well-formed dictionary")]
    [TestCase("d8:msg_typei-0e5:piecei0ee", "is not a well-formed dictionary")]
    public void Malformed_is_a_clear_error(string payload, string message)
    {
        var e = Assert.Throws<PeerProtocolException>(() => UtMetadataMessage.Decode(Latin1(payload)));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.MalformedExtendedMessage));
        Assert.That(e.Message, Does.Contain(message));
    }
}
