using System.Net;
using MainlineDht.Storage;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Storage;

public class ScrapeBloomFilterTests
{
    // BEP 33, "Test Vectors": 192.0.2.0–192.0.2.255 and 2001:DB8::–2001:DB8::3E7, inclusive.
    private const string Bep33VectorHex =
        "F6C3F5EAA07FFD91BDE89F777F26FB2BFF37BDB8FB2BBAA2FD3DDDE7BACFFF75EE7CCBAE" +
        "FE5EEDB1FBFAFF67F6ABFF5E43DDBCA3FD9B9FFDF4FFD3E9DFF12D1BDF59DB53DBE9FA5B" +
        "7FF3B8FDFCDE1AFB8BEDD7BE2F3EE71EBBBFE93BCDEEFE148246C2BC5DBFF7E7EFDCF24F" +
        "D8DC7ADFFD8FFFDFDDFFF7A4BBEEDF5CB95CE81FC7FCFF1FF4FFFFDFE5F7FDCBB7FD79B3" +
        "FA1FC77BFE07FFF905B7B7FFC7FEFEFFE0B8370BB0CD3F5B7F2BD93FEB4386CFDD6F7FD5" +
        "BFAF2E9EBFFFFEECD67ADBF7C67F17EFD5D75EBA6FFEBA7FFF47A91EB1BFBB53E8ABFB57" +
        "62ABE8FF237279BFEFBFEEF5FFC5FEBFDFE5ADFFADFEE1FB737FFFFBFD9F6AEFFEEE76B6" +
        "FD8F72EF";

    private static ScrapeBloomFilter Bep33Filter()
    {
        var filter = new ScrapeBloomFilter();
        for (int i = 0; i <= 255; i++)
        {
            filter.Insert(IPAddress.Parse($"192.0.2.{i}"));
        }

        for (int i = 0; i <= 0x3E7; i++)
        {
            filter.Insert(IPAddress.Parse($"2001:DB8::{i:X}"));
        }

        return filter;
    }

    [Test]
    public void Bep33_test_vector_bytes()
    {
        Assert.That(ToHex(Bep33Filter().Bits), Is.EqualTo(Bep33VectorHex).IgnoreCase);
    }

    [Test]
    public void Bep33_test_vector_estimate()
    {
        // "For the 1256 inserted values the calculated estimate should be 1224.9308": the BEP cuts
        // the value (1224.93089...) to four decimals.
        double estimate = Bep33Filter().EstimateCount();
        Assert.That(Math.Floor(estimate * 10_000), Is.EqualTo(12_249_308));
        Assert.That(estimate, Is.EqualTo(1224.9308).Within(0.0001));
    }

    [Test]
    public void Reading_the_vector_back_gives_the_same_filter_and_estimate()
    {
        Assert.That(ScrapeBloomFilter.TryRead(Hex(Bep33VectorHex), out ScrapeBloomFilter? filter), Is.True);
        Assert.That(filter!.EstimateCount(), Is.EqualTo(1224.9308).Within(0.0001));
        Assert.That(filter.MayContain(IPAddress.Parse("192.0.2.17")), Is.True);
        Assert.That(filter.MayContain(IPAddress.Parse("2001:db8::3e7")), Is.True);
    }

    [TestCase(0)]
    [TestCase(255)]
    [TestCase(257)]
    public void TryRead_rejects_a_wrong_length(int length)
    {
        Assert.That(ScrapeBloomFilter.TryRead(new byte[length], out ScrapeBloomFilter? filter), Is.False);
        Assert.That(filter, Is.Null);
    }

    [Test]
    public void Empty_filter_estimates_about_half_and_is_empty()
    {
        var filter = new ScrapeBloomFilter();
        Assert.That(filter.IsEmpty, Is.True);
        Assert.That(filter.EstimateCount(), Is.EqualTo(0.5).Within(0.001));
        Assert.That(filter.MayContain(IPAddress.Loopback), Is.False);
    }

    [Test]
    public void Insert_sets_the_bits_the_BEP_pseudocode_names()
    {
        var filter = new ScrapeBloomFilter();
        byte[] ip = [192, 168, 1, 1];
        filter.Insert(ip);

        byte[] hash = System.Security.Cryptography.SHA1.HashData(ip);
        int index1 = (hash[0] | (hash[1] << 8)) % 2048;
        int index2 = (hash[2] | (hash[3] << 8)) % 2048;
        var expected = new byte[256];
        expected[index1 / 8] |= (byte)(1 << (index1 % 8));
        expected[index2 / 8] |= (byte)(1 << (index2 % 8));
        Assert.That(filter.Bits.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Mapped_IPv4_is_inserted_as_IPv4()
    {
        var a = new ScrapeBloomFilter();
        var b = new ScrapeBloomFilter();
        a.Insert(IPAddress.Parse("192.0.2.7"));
        b.Insert(IPAddress.Parse("::ffff:192.0.2.7"));
        Assert.That(a.Bits.ToArray(), Is.EqualTo(b.Bits.ToArray()));
    }

    [Test]
    public void Union_counts_the_union()
    {
        var a = new ScrapeBloomFilter();
        var b = new ScrapeBloomFilter();
        for (int i = 0; i < 200; i++)
        {
            a.Insert(IPAddress.Parse($"10.0.0.{i}"));
            b.Insert(IPAddress.Parse($"10.0.{1 + (i / 100)}.{i % 100}"));
        }

        a.UnionWith(b);
        Assert.That(a.EstimateCount(), Is.EqualTo(400).Within(40));
    }

    [Test]
    public void Clear_empties_the_filter()
    {
        ScrapeBloomFilter filter = Bep33Filter();
        filter.Clear();
        Assert.That(filter.IsEmpty, Is.True);
    }

    [Test]
    public void Saturated_filter_estimates_infinity()
    {
        Assert.That(ScrapeBloomFilter.TryRead(Enumerable.Repeat((byte)0xFF, 256).ToArray(), out ScrapeBloomFilter? full), Is.True);
        Assert.That(full!.EstimateCount(), Is.EqualTo(double.PositiveInfinity));
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(20)]
    public void Insert_rejects_bytes_that_are_not_an_address(int length)
    {
        var filter = new ScrapeBloomFilter();
        Assert.That(() => filter.Insert(new byte[length]), Throws.ArgumentException);
    }
}
