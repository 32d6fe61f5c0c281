using MainlineDht.PeerWire.Torrent;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Tests.Torrent;

public sealed class MagnetLinkTests
{
    private static readonly NodeId Hash = NodeId.Parse("a14490fc0147e4777cf5b309cd8e46c97ae052b5");

    [Test]
    public void Hex_infohash_name_and_trackers_are_read()
    {
        MagnetLink magnet = MagnetLink.Parse("magnet:?xt=urn:btih:A14490FC0147E4777CF5B309CD8E46C97AE052B5&dn=small%20files&tr=udp%3A%2F%2Ftracker.example%3A80&xt=urn:btmh:1220abcd");

        Assert.That((magnet.InfoHash, magnet.DisplayName, magnet.Trackers.Single()), Is.EqualTo((Hash, "small files", "udp://tracker.example:80")));
    }

    [Test]
    public void A_base32_infohash_is_read()
    {
        // RFC 4648 base32 of a14490fc0147e4777cf5b309cd8e46c97ae052b5
        MagnetLink magnet = MagnetLink.Parse("magnet:?xt=urn:btih:UFCJB7ABI7SHO7HVWME43DSGZF5OAUVV");

        Assert.That(magnet.InfoHash, Is.EqualTo(Hash));
    }

    [Test]
    public void Forty_hex_digits_alone_are_an_infohash()
    {
        Assert.That(MagnetLink.Parse(" a14490fc0147e4777cf5b309cd8e46c97ae052b5 ").InfoHash, Is.EqualTo(Hash));
    }

    [TestCase("magnet:?dn=x")]
    [TestCase("magnet:?xt=urn:btmh:1220abcd")]
    [TestCase("magnet:?xt=urn:btih:123")]
    [TestCase("http://example/")]
    [TestCase("")]
    public void Without_a_bittorrent_infohash_it_is_not_a_magnet_link(string text)
    {
        Assert.That(MagnetLink.TryParse(text, out _), Is.False);
        Assert.Throws<FormatException>(() => MagnetLink.Parse(text));
    }

    [Test]
    public void It_prints_back_as_a_magnet_link()
    {
        Assert.That(new MagnetLink(Hash, "a b", []).ToString(), Is.EqualTo("magnet:?xt=urn:btih:a14490fc0147e4777cf5b309cd8e46c97ae052b5&dn=a%20b"));
    }
}
