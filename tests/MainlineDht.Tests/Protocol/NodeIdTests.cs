using System.Numerics;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

[TestFixture]
public sealed class NodeIdTests
{
    private const string SampleHex = "0123456789abcdef0011223344556677fedcba98";

    // Boundaries of the three words the id is stored in (bytes 0..7, 8..15, 16..19).
    private static readonly int[] BoundaryBits = [0, 1, 7, 8, 62, 63, 64, 65, 126, 127, 128, 129, 158, 159];

    // ---- Bytes and hex -----------------------------------------------------------------------------

    [Test]
    public void Bytes_RoundTrip()
    {
        byte[] bytes = Enumerable.Range(1, 20).Select(i => (byte)(i * 13)).ToArray();
        var id = new NodeId(bytes);
        Assert.That(id.ToArray(), Is.EqualTo(bytes));

        byte[] destination = new byte[24];
        id.WriteTo(destination.AsSpan(2));
        Assert.That(destination.AsSpan(2, 20).ToArray(), Is.EqualTo(bytes));
        Assert.That(destination[0..2], Is.EqualTo(new byte[2]));
        Assert.That(destination[22..], Is.EqualTo(new byte[2]));

        Assert.That(NodeId.TryRead(bytes, out NodeId read), Is.True);
        Assert.That(read, Is.EqualTo(id));
    }

    [TestCase(0)]
    [TestCase(19)]
    [TestCase(21)]
    [TestCase(40)]
    public void Bytes_WrongLength_IsRejected(int length)
    {
        byte[] bytes = new byte[length];
        Assert.Throws<ArgumentException>(() => _ = new NodeId(bytes));
        Assert.That(NodeId.TryRead(bytes, out NodeId id), Is.False);
        Assert.That(id, Is.EqualTo(NodeId.Zero));
    }

    [Test]
    public void WriteTo_ShortDestination_Throws()
    {
        NodeId id = NodeId.Parse(SampleHex);
        Assert.Throws<ArgumentException>(() => id.WriteTo(new byte[19]));
    }

    [Test]
    public void Hex_ParseAndPrint()
    {
        NodeId id = NodeId.Parse(SampleHex);
        Assert.That(id.ToString(), Is.EqualTo(SampleHex));
        Assert.That(id.ToArray(), Is.EqualTo(Hex(SampleHex)));
        Assert.That(NodeId.Parse(SampleHex.ToUpperInvariant()), Is.EqualTo(id), "upper case is accepted");
        Assert.That(id.ToString(null, null), Is.EqualTo(SampleHex));
        Assert.That($"{id}", Is.EqualTo(SampleHex));

        Assert.That(NodeId.Zero.ToString(), Is.EqualTo(new string('0', 40)));
        Assert.That(NodeId.MaxValue.ToString(), Is.EqualTo(new string('f', 40)));
    }

    [Test]
    public void Hex_RandomRoundTrip()
    {
        var random = new Random(11);
        for (int i = 0; i < 1000; i++)
        {
            NodeId id = NodeId.CreateRandom(random);
            string hex = id.ToString();
            Assert.That(hex, Is.EqualTo(ToHex(id.ToArray())));
            Assert.That(NodeId.TryParse(hex, out NodeId parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(id));
            Assert.That(NodeId.TryParse(hex.AsSpan(), out parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(id));
        }
    }

    [Test]
    public void TryFormat_NeedsFortyChars()
    {
        NodeId id = NodeId.Parse(SampleHex);
        char[] chars = new char[39];
        Assert.That(id.TryFormat(chars, out int written, default, null), Is.False);
        Assert.That(written, Is.Zero);

        chars = new char[41];
        Assert.That(id.TryFormat(chars, out written, default, null), Is.True);
        Assert.That(written, Is.EqualTo(40));
        Assert.That(new string(chars, 0, 40), Is.EqualTo(SampleHex));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("0123456789abcdef0011223344556677fedcba9")] // 39
    [TestCase("0123456789abcdef0011223344556677fedcba980")] // 41
    [TestCase("0123456789abcdef0011223344556677fedcba98 ")] // 41 with a space
    [TestCase(" 123456789abcdef0011223344556677fedcba98")]
    [TestCase("0123456789abcdef0011223344556677fedcba9g")]
    [TestCase("0x23456789abcdef0011223344556677fedcba98")]
    [TestCase("-123456789abcdef0011223344556677fedcba98")]
    [TestCase("0123456789abcdef0011223344556677fedcba98fedcba98")]
    [TestCase("\u0660123456789abcdef0011223344556677fedcba98")] // Arabic-Indic digit zero
    public void TryParse_RejectsWhatIsNotFortyHexDigits(string? text)
    {
        Assert.That(NodeId.TryParse(text, out NodeId id), Is.False);
        Assert.That(id, Is.EqualTo(NodeId.Zero));
        Assert.That(NodeId.TryParse(text.AsSpan(), out _), Is.False);
        if (text is null)
        {
            Assert.Throws<ArgumentNullException>(() => NodeId.Parse(null!));
        }
        else
        {
            Assert.Throws<FormatException>(() => NodeId.Parse(text));
        }
    }

    // ---- Order -------------------------------------------------------------------------------------

    [Test]
    public void Comparison_IsUnsignedBigEndian_AtWordBoundaries()
    {
        // 0x80 in a byte must rank above 0x7f..ff in every word (no signed comparison), and an
        // earlier byte must outrank every later one (big-endian, not little-endian).
        foreach (int index in new[] { 0, 7, 8, 15, 16, 19 })
        {
            byte[] high = new byte[20];
            high[index] = 0x80;
            byte[] low = new byte[20];
            low[index] = 0x7f;
            low.AsSpan(index + 1).Fill(0xff);

            var a = new NodeId(high);
            var b = new NodeId(low);
            Assert.That(a.CompareTo(b), Is.Positive, $"byte {index}");
            Assert.That(b.CompareTo(a), Is.Negative, $"byte {index}");
            Assert.That(a > b && a >= b && b < a && b <= a && a != b, Is.True, $"byte {index}");
            Assert.That(a < b || a <= b || b > a || b >= a || a == b, Is.False, $"byte {index}");
        }

        Assert.That(NodeId.Zero < NodeId.MaxValue, Is.True);
        Assert.That(NodeId.Parse("ff" + new string('0', 38)) > NodeId.Parse("00" + new string('f', 38)), Is.True);
    }

    [Test]
    public void Comparison_MatchesUnsignedBigInteger()
    {
        var random = new Random(12);
        var ids = new List<NodeId>();
        for (int i = 0; i < 300; i++)
        {
            ids.Add(RandomIdWithSharedPrefix(random, ids));
        }

        foreach (NodeId a in ids.Take(60))
        {
            foreach (NodeId b in ids)
            {
                int expected = Big(a).CompareTo(Big(b));
                Assert.That(Math.Sign(a.CompareTo(b)), Is.EqualTo(expected));
                Assert.That(a == b, Is.EqualTo(expected == 0));
                Assert.That(a.Equals(b), Is.EqualTo(expected == 0));
                Assert.That(a.Equals((object)b), Is.EqualTo(expected == 0));
                Assert.That(a < b, Is.EqualTo(expected < 0));
                Assert.That(a >= b, Is.EqualTo(expected >= 0));
            }
        }

        List<NodeId> sorted = [.. ids.Order()];
        List<NodeId> expectedOrder = [.. ids.OrderBy(Big)];
        Assert.That(sorted, Is.EqualTo(expectedOrder));
    }

    [Test]
    public void Equality_AndHashCode()
    {
        NodeId a = NodeId.Parse(SampleHex);
        NodeId b = new(Hex(SampleHex));
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a.Equals((object)b), Is.True);
        Assert.That(a.Equals("not an id"), Is.False);
        Assert.That(a.Equals(null), Is.False);
        Assert.That(NodeId.Zero, Is.EqualTo(default(NodeId)));

        var set = new HashSet<NodeId> { a, b, NodeId.Zero, NodeId.MaxValue };
        Assert.That(set, Has.Count.EqualTo(3));
    }

    // ---- Distance ----------------------------------------------------------------------------------

    [Test]
    public void Xor_KnownValues()
    {
        NodeId a = NodeId.Parse("ffff0000ffff0000ffff0000ffff0000ffff0000");
        NodeId b = NodeId.Parse("0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f");
        Assert.That((a ^ b).ToString(), Is.EqualTo("f0f00f0ff0f00f0ff0f00f0ff0f00f0ff0f00f0f"));
        Assert.That(a.DistanceTo(b), Is.EqualTo(a ^ b));
        Assert.That(a ^ a, Is.EqualTo(NodeId.Zero));
        Assert.That(a ^ NodeId.Zero, Is.EqualTo(a));
        Assert.That(a ^ NodeId.MaxValue, Is.EqualTo(NodeId.Parse("0000ffff0000ffff0000ffff0000ffff0000ffff")));
    }

    [Test]
    public void Xor_MatchesBytewiseXor()
    {
        var random = new Random(13);
        for (int i = 0; i < 500; i++)
        {
            NodeId a = NodeId.CreateRandom(random);
            NodeId b = NodeId.CreateRandom(random);
            byte[] expected = a.ToArray().Zip(b.ToArray(), (x, y) => (byte)(x ^ y)).ToArray();
            Assert.That((a ^ b).ToArray(), Is.EqualTo(expected));
            Assert.That(a ^ b, Is.EqualTo(b ^ a));
            Assert.That(a ^ b ^ b, Is.EqualTo(a));
        }
    }

    [Test]
    public void CompareDistance_MatchesBigIntegerXor()
    {
        var random = new Random(14);
        var ids = new List<NodeId>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(RandomIdWithSharedPrefix(random, ids));
        }

        for (int i = 0; i < 5000; i++)
        {
            NodeId target = ids[random.Next(ids.Count)];
            NodeId a = ids[random.Next(ids.Count)];
            NodeId b = ids[random.Next(ids.Count)];
            int expected = (Big(a) ^ Big(target)).CompareTo(Big(b) ^ Big(target));
            Assert.That(Math.Sign(target.CompareDistance(a, b)), Is.EqualTo(expected));
            Assert.That(Math.Sign(target.CompareDistance(b, a)), Is.EqualTo(-expected));
        }
    }

    [Test]
    public void CompareDistance_KnownCases()
    {
        NodeId target = NodeId.Parse("8000000000000000000000000000000000000000");
        NodeId near = NodeId.Parse("8000000000000000000000000000000000000001");
        NodeId far = NodeId.Parse("0000000000000000000000000000000000000000");
        NodeId mid = NodeId.Parse("c000000000000000000000000000000000000000");

        Assert.That(target.CompareDistance(near, far), Is.Negative);
        Assert.That(target.CompareDistance(far, near), Is.Positive);
        Assert.That(target.CompareDistance(mid, far), Is.Negative, "the top bit dominates");
        Assert.That(target.CompareDistance(near, mid), Is.Negative);
        Assert.That(target.CompareDistance(target, near), Is.Negative, "nothing is closer than the target itself");
        Assert.That(target.CompareDistance(mid, mid), Is.Zero);

        // Closeness is not numeric closeness: 0x7f.. is numerically next to 0x80.. but maximally far in XOR.
        NodeId numericNeighbour = NodeId.Parse("7fffffffffffffffffffffffffffffffffffffff");
        Assert.That(target.CompareDistance(numericNeighbour, mid), Is.Positive);
        Assert.That(target.DistanceTo(numericNeighbour), Is.EqualTo(NodeId.MaxValue));
    }

    [Test]
    public void CommonPrefixLength_EveryLength()
    {
        var random = new Random(15);
        for (int round = 0; round < 5; round++)
        {
            NodeId id = round == 0 ? NodeId.Zero : round == 1 ? NodeId.MaxValue : NodeId.CreateRandom(random);
            Assert.That(id.CommonPrefixLength(id), Is.EqualTo(160));
            for (int bit = 0; bit < 160; bit++)
            {
                NodeId other = FlipBit(id, bit);
                Assert.That(id.CommonPrefixLength(other), Is.EqualTo(bit), $"bit {bit}");
                Assert.That(other.CommonPrefixLength(id), Is.EqualTo(bit), $"bit {bit}");

                // Bits after the first difference do not matter.
                NodeId noisy = NodeId.CreateRandomInRange(other, bit + 1, random);
                Assert.That(id.CommonPrefixLength(noisy), Is.EqualTo(bit), $"bit {bit} with noise");
            }
        }
    }

    [Test]
    public void CommonPrefixLength_MatchesBigInteger()
    {
        var random = new Random(16);
        var ids = new List<NodeId>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(RandomIdWithSharedPrefix(random, ids));
        }

        foreach (NodeId a in ids)
        {
            foreach (NodeId b in ids.Take(40))
            {
                BigInteger x = Big(a) ^ Big(b);
                int expected = x.IsZero ? 160 : 160 - (int)x.GetBitLength();
                Assert.That(a.CommonPrefixLength(b), Is.EqualTo(expected));
            }
        }
    }

    [Test]
    public void GetBit_MatchesBytes()
    {
        var random = new Random(17);
        for (int i = 0; i < 50; i++)
        {
            NodeId id = NodeId.CreateRandom(random);
            byte[] bytes = id.ToArray();
            for (int bit = 0; bit < 160; bit++)
            {
                bool expected = (bytes[bit / 8] & (0x80 >> (bit % 8))) != 0;
                Assert.That(id.GetBit(bit), Is.EqualTo(expected), $"bit {bit} of {id}");
            }
        }

        NodeId one = NodeId.Parse("0000000000000000000000000000000000000001");
        Assert.That(one.GetBit(159), Is.True);
        Assert.That(Enumerable.Range(0, 159).Any(one.GetBit), Is.False);
        NodeId top = NodeId.Parse("8000000000000000000000000000000000000000");
        Assert.That(top.GetBit(0), Is.True);
        Assert.That(Enumerable.Range(1, 159).Any(top.GetBit), Is.False);
    }

    [TestCase(-1)]
    [TestCase(160)]
    [TestCase(int.MinValue)]
    [TestCase(int.MaxValue)]
    public void GetBit_OutOfRange_Throws(int index)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeId.MaxValue.GetBit(index));
    }

    // ---- Prefixes and random ids in a range --------------------------------------------------------

    [TestCase(0, "0000000000000000000000000000000000000000")]
    [TestCase(1, "8000000000000000000000000000000000000000")]
    [TestCase(63, "fffffffffffffffe000000000000000000000000")]
    [TestCase(64, "ffffffffffffffff000000000000000000000000")]
    [TestCase(65, "ffffffffffffffff800000000000000000000000")]
    [TestCase(127, "fffffffffffffffffffffffffffffffe00000000")]
    [TestCase(128, "ffffffffffffffffffffffffffffffff00000000")]
    [TestCase(129, "ffffffffffffffffffffffffffffffff80000000")]
    [TestCase(159, "fffffffffffffffffffffffffffffffffffffffe")]
    [TestCase(160, "ffffffffffffffffffffffffffffffffffffffff")]
    public void PrefixMask_KnownValues(int length, string expected)
    {
        Assert.That(NodeId.PrefixMask(length).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void PrefixMask_EveryLength_HasExactlyThatManyLeadingOnes()
    {
        for (int length = 0; length <= 160; length++)
        {
            NodeId mask = NodeId.PrefixMask(length);
            for (int bit = 0; bit < 160; bit++)
            {
                Assert.That(mask.GetBit(bit), Is.EqualTo(bit < length), $"length {length}, bit {bit}");
            }

            Assert.That(mask.CommonPrefixLength(NodeId.MaxValue), Is.EqualTo(length));
        }
    }

    [TestCase(-1)]
    [TestCase(161)]
    public void PrefixMask_OutOfRange_Throws(int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeId.PrefixMask(length));
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeId.CreateRandomInRange(NodeId.Zero, length, new Random(1)));
    }

    [Test]
    public void CreateRandomInRange_KeepsThePrefix()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            NodeId prefix = NodeId.CreateRandom(random);
            for (int length = 0; length <= 160; length++)
            {
                NodeId id = NodeId.CreateRandomInRange(prefix, length, random);
                int firstDifferentBit = Enumerable.Range(0, 160).FirstOrDefault(bit => id.GetBit(bit) != prefix.GetBit(bit), 160);
                Assert.That(firstDifferentBit, Is.GreaterThanOrEqualTo(length), $"seed {seed}, length {length}");
                Assert.That(id.CommonPrefixLength(prefix), Is.EqualTo(firstDifferentBit), $"seed {seed}, length {length}");
            }

            Assert.That(NodeId.CreateRandomInRange(prefix, 160, random), Is.EqualTo(prefix));
        }
    }

    [Test]
    public void CreateRandomInRange_RandomisesTheRest()
    {
        var random = new Random(18);
        NodeId prefix = NodeId.Parse(SampleHex);
        foreach (int length in BoundaryBits)
        {
            // Every bit after the prefix takes both values over a few hundred draws.
            var seenOne = new bool[160];
            var seenZero = new bool[160];
            for (int i = 0; i < 300; i++)
            {
                NodeId id = NodeId.CreateRandomInRange(prefix, length, random);
                for (int bit = length; bit < 160; bit++)
                {
                    if (id.GetBit(bit))
                    {
                        seenOne[bit] = true;
                    }
                    else
                    {
                        seenZero[bit] = true;
                    }
                }
            }

            for (int bit = length; bit < 160; bit++)
            {
                Assert.That(seenOne[bit] && seenZero[bit], Is.True, $"length {length}, bit {bit}");
            }
        }
    }

    [Test]
    public void CreateRandom_IsDeterministicForASeed()
    {
        Assert.That(NodeId.CreateRandom(new Random(99)), Is.EqualTo(NodeId.CreateRandom(new Random(99))));
        Assert.That(NodeId.CreateRandom(new Random(99)), Is.Not.EqualTo(NodeId.CreateRandom(new Random(100))));
        Assert.Throws<ArgumentNullException>(() => NodeId.CreateRandom(null!));
    }

    // ---- Helpers -----------------------------------------------------------------------------------

    private static BigInteger Big(NodeId id) => new(id.ToArray(), isUnsigned: true, isBigEndian: true);

    private static NodeId FlipBit(NodeId id, int bit)
    {
        byte[] bytes = id.ToArray();
        bytes[bit / 8] ^= (byte)(0x80 >> (bit % 8));
        return new NodeId(bytes);
    }

    /// <summary>A random id that often shares a long prefix with an earlier one, so ties reach the lower words.</summary>
    private static NodeId RandomIdWithSharedPrefix(Random random, List<NodeId> earlier)
    {
        if (earlier.Count == 0 || random.Next(3) == 0)
        {
            return NodeId.CreateRandom(random);
        }

        NodeId basis = earlier[random.Next(earlier.Count)];
        int length = random.Next(4) == 0 ? BoundaryBits[random.Next(BoundaryBits.Length)] : random.Next(161);
        return NodeId.CreateRandomInRange(basis, length, random);
    }
}
