using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Tests.Protocol;

/// <summary>BEP 42: node ids derived from, and checked against, the node's external IP.</summary>
[TestFixture]
public sealed class SecureNodeIdTests
{
    // BEP 42's table: IP, rand, example node id. Only the first 21 bits and the last byte are fixed
    // by the IP and rand; the rest of each example id is random.
    private static readonly object[] Bep42Vectors =
    [
        new object[] { "124.31.75.21", (byte)1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401" },
        new object[] { "21.75.31.124", (byte)86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256" },
        new object[] { "65.23.51.170", (byte)22, "a5d43220bc8f112a3d426c84764f8c2a1150e616" },
        new object[] { "84.124.73.14", (byte)65, "1b0321dd1bb1fe518101ceef99462b947a01ff41" },
        new object[] { "43.213.53.83", (byte)90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a" },
    ];

    [TestCaseSource(nameof(Bep42Vectors))]
    public void Create_MatchesTheBep42Prefix(string ip, byte rand, string exampleHex)
    {
        byte[] example = NodeId.Parse(exampleHex).ToArray();
        byte[] id = SecureNodeId.Create(IPAddress.Parse(ip), rand, new Random(42)).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(id[0], Is.EqualTo(example[0]), "bits 0-7");
            Assert.That(id[1], Is.EqualTo(example[1]), "bits 8-15");
            Assert.That(id[2] & 0xf8, Is.EqualTo(example[2] & 0xf8), "bits 16-20");
            Assert.That(id[19], Is.EqualTo(rand), "the last byte is rand");
        }
    }

    [TestCaseSource(nameof(Bep42Vectors))]
    public void IsValid_AcceptsTheBep42ExampleIds(string ip, byte rand, string exampleHex)
    {
        Assert.That(SecureNodeId.IsValid(NodeId.Parse(exampleHex), IPAddress.Parse(ip)), Is.True);
        Assert.That(NodeId.Parse(exampleHex).ToArray()[19], Is.EqualTo(rand));
    }

    [TestCaseSource(nameof(Bep42Vectors))]
    public void IsValid_RejectsTheExampleIdForAnotherAddress(string ip, byte rand, string exampleHex)
    {
        _ = rand;
        byte[] other = IPAddress.Parse(ip).GetAddressBytes();
        other[0] ^= 0x01; // inside the mask of the first byte (0x03), so the crc changes
        Assert.That(SecureNodeId.IsValid(NodeId.Parse(exampleHex), new IPAddress(other)), Is.False);
    }

    [Test]
    public void Create_RandomBitsDoNotChangeThePrefix()
    {
        var address = IPAddress.Parse("124.31.75.21");
        byte[] a = SecureNodeId.Create(address, 1, new Random(1)).ToArray();
        byte[] b = SecureNodeId.Create(address, 1, new Random(2)).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(a[..2], Is.EqualTo(b[..2]));
            Assert.That(a[2] & 0xf8, Is.EqualTo(b[2] & 0xf8));
            Assert.That(a[3..19], Is.Not.EqualTo(b[3..19]), "the middle is random");
        }
    }

    [Test]
    public void Create_OnlyTheLowThreeBitsOfRandEnterThePrefix()
    {
        var address = IPAddress.Parse("21.75.31.124");
        byte[] a = SecureNodeId.Create(address, 86, new Random(1)).ToArray();
        byte[] b = SecureNodeId.Create(address, 86 + 8, new Random(1)).ToArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(a[..2], Is.EqualTo(b[..2]));
            Assert.That(a[19], Is.EqualTo(86));
            Assert.That(b[19], Is.EqualTo(94));
        }
    }

    [Test]
    public void IsValid_TrueForCreatedIds_OverManyAddresses()
    {
        var random = new Random(20240601);
        byte[] v4 = new byte[4];
        byte[] v6 = new byte[16];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(v4);
            random.NextBytes(v6);
            v6[0] = 0x20; // global unicast, not exempt
            byte rand = (byte)random.Next(256);
            foreach (IPAddress address in new[] { new IPAddress(v4), new IPAddress(v6) })
            {
                NodeId id = SecureNodeId.Create(address, rand, random);
                Assert.That(SecureNodeId.IsValid(id, address), Is.True, $"{address} rand {rand}");
            }
        }
    }

    [Test]
    public void IsValid_FalseForRandomIds()
    {
        var random = new Random(7);
        var address = IPAddress.Parse("124.31.75.21");
        int valid = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (SecureNodeId.IsValid(NodeId.CreateRandom(random), address))
            {
                valid++;
            }
        }

        Assert.That(valid, Is.Zero, "a random id passes with probability 2^-21");
    }

    [Test]
    public void IsValid_IPv4MappedAddress_IsCheckedAsIPv4()
    {
        var v4 = IPAddress.Parse("124.31.75.21");
        NodeId id = SecureNodeId.Create(v4, 1, new Random(3));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SecureNodeId.IsValid(id, v4.MapToIPv6()), Is.True);
            Assert.That(SecureNodeId.IsValid(NodeId.CreateRandom(new Random(4)), v4.MapToIPv6()), Is.False);
        }
    }

    [TestCase("127.0.0.1")]
    [TestCase("127.255.1.2")]
    [TestCase("10.0.0.1")]
    [TestCase("10.255.255.255")]
    [TestCase("172.16.0.1")]
    [TestCase("172.31.255.254")]
    [TestCase("192.168.1.1")]
    [TestCase("169.254.3.4")]
    [TestCase("::1")]
    [TestCase("fe80::1")]
    [TestCase("fd00::1")]
    [TestCase("::ffff:192.168.0.1")]
    public void Exempt_AnyIdIsValid(string ip)
    {
        var address = IPAddress.Parse(ip);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SecureNodeId.IsExempt(address), Is.True);
            Assert.That(SecureNodeId.IsValid(NodeId.CreateRandom(new Random(5)), address), Is.True);
            Assert.That(SecureNodeId.IsValid(NodeId.Zero, address), Is.True);
        }
    }

    [TestCase("124.31.75.21")]
    [TestCase("172.15.0.1")]
    [TestCase("172.32.0.1")]
    [TestCase("192.169.0.1")]
    [TestCase("11.0.0.1")]
    [TestCase("128.0.0.1")]
    [TestCase("169.255.0.1")]
    [TestCase("2001:db8::1")]
    public void NotExempt(string ip)
    {
        var address = IPAddress.Parse(ip);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SecureNodeId.IsExempt(address), Is.False);
            Assert.That(SecureNodeId.IsValid(NodeId.CreateRandom(new Random(6)), address), Is.False);
        }
    }
}
