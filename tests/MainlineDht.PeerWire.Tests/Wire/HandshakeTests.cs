using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.PeerWire.Wire;
using MainlineDht.Protocol;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Wire;

/// <summary>The BEP 3 handshake, byte for byte.</summary>
public sealed class HandshakeTests
{
    private static readonly NodeId InfoHash = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly byte[] PeerId = Latin1("-MD0100-123456789012");

    [Test]
    public void Ours_is_68_bytes_with_the_extension_and_dht_bits_set()
    {
        byte[] handshake = new byte[Handshake.Length];
        Handshake.Write(handshake, InfoHash, PeerId);

        Assert.That(ToHex(handshake), Is.EqualTo(
            "13" + ToHex(Latin1("BitTorrent protocol")) +
            "0000000000100001" +                            // reserved: byte 5 = 0x10 (BEP 10), byte 7 = 0x01 (DHT)
            "0123456789abcdef0123456789abcdef01234567" +    // infohash
            ToHex(PeerId)));
    }

    [Test]
    public void A_peers_handshake_gives_its_infohash_id_and_bits()
    {
        byte[] theirs = [19, .. Latin1("BitTorrent protocol"), 0, 0, 0, 0, 0, 0x10, 0, 0x05, .. InfoHash.ToArray(), .. Latin1("-lt2080-abcdefghijkl")];

        PeerHandshake read = Handshake.Read(theirs);

        Assert.Multiple(() =>
        {
            Assert.That(read.InfoHash, Is.EqualTo(InfoHash));
            Assert.That(Text(read.PeerId), Is.EqualTo("-lt2080-abcdefghijkl"));
            Assert.That(read.SupportsExtensions, Is.True);
            Assert.That(read.SupportsDht, Is.True);
        });
    }

    [Test]
    public void Reserved_bits_clear_mean_no_extensions_and_no_dht()
    {
        byte[] theirs = [19, .. Latin1("BitTorrent protocol"), 0, 0, 0, 0, 0, 0, 0, 0, .. InfoHash.ToArray(), .. PeerId];

        PeerHandshake read = Handshake.Read(theirs);

        Assert.That((read.SupportsExtensions, read.SupportsDht), Is.EqualTo((false, false)));
    }

    [Test]
    public void Another_protocol_string_is_a_bad_handshake()
    {
        byte[] theirs = [19, .. Latin1("BitTorrent protocoX"), 0, 0, 0, 0, 0, 0, 0, 0, .. InfoHash.ToArray(), .. PeerId];

        var e = Assert.Throws<PeerProtocolException>(() => Handshake.Read(theirs));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.BadHandshake));
    }

    [Test]
    public async Task Connection_sends_ours_first_and_refuses_another_infohash()
    {
        NodeId other = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");
        var stream = new ScriptedStream([19, .. Latin1("BitTorrent protocol"), 0, 0, 0, 0, 0, 0x10, 0, 1, .. other.ToArray(), .. PeerId]);
        await using var connection = new PeerConnection(stream);

        var e = await Assert.ThrowsAsync<PeerProtocolException>(() => connection.HandshakeAsync(InfoHash, PeerId, CancellationToken.None));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.InfoHashMismatch));
        Assert.That(e.Message, Does.Contain("ffffffffffffffffffffffffffffffffffffffff"));
        Assert.That(stream.Written.ToArray(), Has.Length.EqualTo(68).And.EqualTo(HandshakeBytes()), "ours went out before theirs was read");
    }

    [Test]
    public async Task A_peer_that_closes_during_the_handshake_is_a_closed_connection()
    {
        var stream = new ScriptedStream([19, .. Latin1("BitTorrent")]);
        await using var connection = new PeerConnection(stream);

        var e = await Assert.ThrowsAsync<PeerProtocolException>(() => connection.HandshakeAsync(InfoHash, PeerId, CancellationToken.None));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.ConnectionClosed));
        Assert.That(e.Message, Does.Contain("in the middle of a message (11 of 68 bytes received)"));
    }

    private static byte[] HandshakeBytes()
    {
        byte[] handshake = new byte[Handshake.Length];
        Handshake.Write(handshake, InfoHash, PeerId);
        return handshake;
    }
}
