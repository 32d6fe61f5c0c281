using System.Globalization;
using System.Text;
using MainlineDht.Bencode;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Bencode;

/// <summary>
/// Property tests: random bencode trees written with <see cref="BencodeWriter"/> must match an
/// independent reference encoder byte for byte and read back (strict) to the same tree.
/// </summary>
[TestFixture]
public sealed class BencodeRoundTripTests
{
    private static readonly BencodeReaderOptions StrictDeep = new() { Strict = true, MaxDepth = BencodeReaderOptions.MaxAllowedDepth };
    private static readonly BencodeReaderOptions LenientDeep = new() { MaxDepth = BencodeReaderOptions.MaxAllowedDepth };

    [TestCase(1, 3000, 6)]
    [TestCase(2, 3000, 10)]
    [TestCase(3, 300, 20)] // deeper than the writer's 8 inline key slots
    public void RandomTrees_WriteReadBack_AndMatchReferenceEncoder(int seed, int iterations, int maxDepth)
    {
        var random = new Random(seed);
        for (int i = 0; i < iterations; i++)
        {
            BValue value = BValueGenerator.Generate(random, maxDepth);
            byte[] expected = ReferenceEncoder.Encode(value);

            byte[] buffer = new byte[expected.Length];
            var writer = new BencodeWriter(buffer);
            BValueCodec.Write(ref writer, value);
            string context = $"seed {seed}, iteration {i}: {ToHex(expected)}";

            Assert.That(writer.Overflowed, Is.False, context);
            Assert.That(writer.CurrentDepth, Is.Zero, context);
            Assert.That(writer.BytesWritten, Is.EqualTo(expected.Length), context);
            Assert.That(buffer, Is.EqualTo(expected), context);

            Assert.That(BencodeReader.IsValid(buffer, StrictDeep, out BencodeError error, out int offset), Is.True, $"{context}: {error} at {offset}");
            Assert.That(BValue.StructurallyEqual(BValueCodec.Parse(buffer, StrictDeep), value), Is.True, context);
            Assert.That(BValue.StructurallyEqual(BValueCodec.Parse(buffer, LenientDeep), value), Is.True, context);

            // One byte short: the writer reports overflow instead of writing past the end.
            if (expected.Length > 0)
            {
                var shortWriter = new BencodeWriter(new byte[expected.Length - 1]);
                BValueCodec.Write(ref shortWriter, value);
                Assert.That(shortWriter.Overflowed, Is.True, context);
            }
        }
    }

    [Test]
    public void RandomTrees_SkipFromTheTopConsumesEverything()
    {
        var random = new Random(4);
        for (int i = 0; i < 1000; i++)
        {
            byte[] data = ReferenceEncoder.Encode(BValueGenerator.Generate(random, 8));
            var reader = new BencodeReader(data, StrictDeep);
            Assert.That(reader.TryRead(), Is.True);
            Assert.That(reader.TrySkip(), Is.True);
            Assert.That(reader.CurrentDepth, Is.Zero);
            Assert.That(reader.IsComplete, Is.True);
            Assert.That(reader.BytesConsumed, Is.EqualTo(data.Length));
            Assert.That(reader.TryRead(), Is.False);
            Assert.That(reader.Error, Is.EqualTo(BencodeError.None));
        }
    }

    [Test]
    public void RandomTrees_SkippingEveryValueOfAContainerLandsOnItsEnd()
    {
        var random = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            var list = new BList([.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => BValueGenerator.Generate(random, 6))]);
            byte[] data = ReferenceEncoder.Encode(list);
            var reader = new BencodeReader(data, LenientDeep);
            Assert.That(reader.Read(), Is.True);
            Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.StartList));
            int count = 0;
            while (reader.Read() && reader.TokenType != BencodeTokenType.EndList)
            {
                reader.Skip();
                Assert.That(reader.CurrentDepth, Is.EqualTo(1));
                count++;
            }

            Assert.That(count, Is.EqualTo(list.Items.Count));
            Assert.That(reader.BytesConsumed, Is.EqualTo(data.Length));
        }
    }

    [Test]
    public void ReferenceEncoder_MatchesKnownBep3Examples()
    {
        var dict = new BDictionary(
        [
            new(Encoding.ASCII.GetBytes("cow"), new BBytes(Encoding.ASCII.GetBytes("moo"))),
            new(Encoding.ASCII.GetBytes("spam"), new BList([new BBytes(Encoding.ASCII.GetBytes("a")), new BInteger(-3)])),
        ]);
        Assert.That(Encoding.ASCII.GetString(ReferenceEncoder.Encode(dict)), Is.EqualTo("d3:cow3:moo4:spaml1:ai-3eee"));
    }
}

/// <summary>A bencode value as a plain tree, for property tests.</summary>
internal abstract class BValue
{
    public static bool StructurallyEqual(BValue a, BValue b) => (a, b) switch
    {
        (BInteger x, BInteger y) => x.Value == y.Value,
        (BBytes x, BBytes y) => x.Value.AsSpan().SequenceEqual(y.Value),
        (BList x, BList y) => x.Items.Count == y.Items.Count
            && x.Items.Zip(y.Items).All(p => StructurallyEqual(p.First, p.Second)),
        (BDictionary x, BDictionary y) => x.Entries.Count == y.Entries.Count
            && x.Entries.Zip(y.Entries).All(p => p.First.Key.AsSpan().SequenceEqual(p.Second.Key) && StructurallyEqual(p.First.Value, p.Second.Value)),
        _ => false,
    };
}

internal sealed class BInteger(long value) : BValue
{
    public long Value { get; } = value;
}

internal sealed class BBytes(byte[] value) : BValue
{
    public byte[] Value { get; } = value;
}

internal sealed class BList(List<BValue> items) : BValue
{
    public List<BValue> Items { get; } = items;
}

/// <summary>Entries in wire order (the generator makes them sorted and unique).</summary>
internal sealed class BDictionary(List<KeyValuePair<byte[], BValue>> entries) : BValue
{
    public List<KeyValuePair<byte[], BValue>> Entries { get; } = entries;
}

/// <summary>Writes a tree with <see cref="BencodeWriter"/> and reads one with <see cref="BencodeReader"/>.</summary>
internal static class BValueCodec
{
    public static void Write(ref BencodeWriter writer, BValue value)
    {
        switch (value)
        {
            case BInteger i:
                writer.WriteInteger(i.Value);
                break;
            case BBytes b:
                writer.WriteString(b.Value);
                break;
            case BList l:
                writer.WriteStartList();
                foreach (BValue item in l.Items)
                {
                    Write(ref writer, item);
                }

                writer.WriteEnd();
                break;
            case BDictionary d:
                writer.WriteStartDictionary();
                foreach (KeyValuePair<byte[], BValue> entry in d.Entries)
                {
                    writer.WriteKey(entry.Key);
                    Write(ref writer, entry.Value);
                }

                writer.WriteEnd();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(value));
        }
    }

    /// <summary>Reads exactly one value; throws <see cref="BencodeException"/> on malformed input.</summary>
    public static BValue Parse(ReadOnlySpan<byte> data, BencodeReaderOptions options)
    {
        var reader = new BencodeReader(data, options);
        if (!reader.Read())
        {
            throw new InvalidOperationException("No value.");
        }

        BValue value = ReadValue(ref reader);
        if (reader.Read())
        {
            throw new InvalidOperationException("More than one top-level value.");
        }

        return value;
    }

    private static BValue ReadValue(ref BencodeReader reader)
    {
        switch (reader.TokenType)
        {
            case BencodeTokenType.Integer:
                return new BInteger(reader.IntegerValue);
            case BencodeTokenType.String:
                return new BBytes(reader.ValueSpan.ToArray());
            case BencodeTokenType.StartList:
                var items = new List<BValue>();
                while (Next(ref reader) != BencodeTokenType.EndList)
                {
                    items.Add(ReadValue(ref reader));
                }

                return new BList(items);
            case BencodeTokenType.StartDictionary:
                var entries = new List<KeyValuePair<byte[], BValue>>();
                while (Next(ref reader) != BencodeTokenType.EndDictionary)
                {
                    Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.Key));
                    byte[] key = reader.ValueSpan.ToArray();
                    Next(ref reader);
                    entries.Add(new(key, ReadValue(ref reader)));
                }

                return new BDictionary(entries);
            default:
                throw new InvalidOperationException($"Unexpected token {reader.TokenType}.");
        }
    }

    private static BencodeTokenType Next(ref BencodeReader reader) =>
        reader.Read() ? reader.TokenType : throw new InvalidOperationException("Input ended inside a value.");
}

/// <summary>
/// A deliberately naive encoder that shares no code with <see cref="BencodeWriter"/>: text
/// formatting for numbers, its own key sort (Latin-1 ordinal order is raw-byte order).
/// </summary>
internal static class ReferenceEncoder
{
    public static byte[] Encode(BValue value)
    {
        using var stream = new MemoryStream();
        Encode(stream, value);
        return stream.ToArray();
    }

    private static void Encode(MemoryStream stream, BValue value)
    {
        switch (value)
        {
            case BInteger i:
                Ascii(stream, "i" + i.Value.ToString(CultureInfo.InvariantCulture) + "e");
                break;
            case BBytes b:
                EncodeBytes(stream, b.Value);
                break;
            case BList l:
                stream.WriteByte((byte)'l');
                foreach (BValue item in l.Items)
                {
                    Encode(stream, item);
                }

                stream.WriteByte((byte)'e');
                break;
            case BDictionary d:
                stream.WriteByte((byte)'d');
                foreach (KeyValuePair<byte[], BValue> entry in d.Entries.OrderBy(e => Text(e.Key), StringComparer.Ordinal))
                {
                    EncodeBytes(stream, entry.Key);
                    Encode(stream, entry.Value);
                }

                stream.WriteByte((byte)'e');
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(value));
        }
    }

    private static void EncodeBytes(MemoryStream stream, byte[] bytes)
    {
        Ascii(stream, bytes.Length.ToString(CultureInfo.InvariantCulture) + ":");
        stream.Write(bytes);
    }

    private static void Ascii(MemoryStream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
}

/// <summary>Random trees from a seeded <see cref="Random"/>; dictionary keys sorted and unique.</summary>
internal static class BValueGenerator
{
    private static readonly long[] InterestingIntegers =
    [
        0, 1, -1, 9, 10, -10, 99, 100, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue,
        long.MaxValue, long.MinValue, long.MaxValue - 1, long.MinValue + 1, 1_000_000_000_000_000_000, -999_999_999_999_999_999,
    ];

    // A small alphabet makes shared prefixes, empty keys and collisions likely; 0x00 and 0xff test raw-byte order.
    private static readonly byte[] KeyAlphabet = [0x00, (byte)'a', (byte)'b', (byte)'z', 0x7f, 0x80, 0xff];

    public static BValue Generate(Random random, int maxDepth) => Generate(random, 0, maxDepth);

    public static byte[] RandomBytes(Random random, int length, bool binary)
    {
        byte[] bytes = new byte[length];
        if (binary)
        {
            random.NextBytes(bytes);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)random.Next('a', 'z' + 1);
            }
        }

        return bytes;
    }

    private static BValue Generate(Random random, int depth, int maxDepth)
    {
        // Containers get rarer with depth, but a deep chain stays possible up to maxDepth.
        int containerWeight = depth >= maxDepth ? 0 : Math.Max(10, 50 - (depth * 4));
        int roll = random.Next(100);
        if (roll < containerWeight)
        {
            return random.Next(2) == 0 ? GenerateList(random, depth, maxDepth) : GenerateDictionary(random, depth, maxDepth);
        }

        return random.Next(2) == 0 ? new BInteger(GenerateInteger(random)) : new BBytes(GenerateBytes(random));
    }

    private static BList GenerateList(Random random, int depth, int maxDepth)
    {
        int count = random.Next(0, 6);
        var items = new List<BValue>(count);
        for (int i = 0; i < count; i++)
        {
            items.Add(Generate(random, depth + 1, maxDepth));
        }

        return new BList(items);
    }

    private static BDictionary GenerateDictionary(Random random, int depth, int maxDepth)
    {
        int count = random.Next(0, 6);
        var keys = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            byte[] key = random.Next(4) == 0
                ? RandomBytes(random, random.Next(0, 14), binary: random.Next(2) == 0)
                : [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => KeyAlphabet[random.Next(KeyAlphabet.Length)])];
            if (!keys.Exists(k => k.AsSpan().SequenceEqual(key)))
            {
                keys.Add(key);
            }
        }

        keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return new BDictionary([.. keys.Select(k => new KeyValuePair<byte[], BValue>(k, Generate(random, depth + 1, maxDepth)))]);
    }

    private static long GenerateInteger(Random random) => random.Next(4) switch
    {
        0 => random.Next(-20, 21),
        1 => InterestingIntegers[random.Next(InterestingIntegers.Length)],
        2 => random.NextInt64(int.MinValue, int.MaxValue),
        _ => random.NextInt64(long.MinValue, long.MaxValue),
    };

    private static byte[] GenerateBytes(Random random)
    {
        int length = random.Next(10) switch
        {
            0 => 0,
            < 7 => random.Next(1, 25),
            8 => random.Next(90, 120), // lengths crossing 99 -> 100
            _ => random.Next(150, 1100),
        };
        return RandomBytes(random, length, binary: random.Next(2) == 0);
    }
}
