using System.Text;
using MainlineDht.Bencode;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Bencode;

[TestFixture]
public sealed class BencodeWriterTests
{
    private const byte Guard = 0xCC;

    private static readonly byte[] CompactAddress = [127, 0, 0, 1, 0x1a, 0xe1];
    private static readonly byte[] Nodes = [.. Enumerable.Range(0, 208).Select(i => (byte)i)];

    // ---- Exact output -------------------------------------------------------------------------------

    [Test]
    public void Write_PingQuery_MatchesBep5()
    {
        byte[] buffer = new byte[128];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("a"u8);
        writer.WriteStartDictionary();
        writer.WriteString("id"u8, "abcdefghij0123456789"u8);
        writer.WriteEnd();
        writer.WriteString("q"u8, "ping"u8);
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "q"u8);
        writer.WriteEnd();

        Assert.That(Text(writer.WrittenSpan), Is.EqualTo("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"));
        Assert.That(writer.BytesWritten, Is.EqualTo(56));
        Assert.That(writer.Overflowed, Is.False);
        Assert.That(writer.CurrentDepth, Is.Zero);
    }

    [Test]
    public void Write_ErrorMessage_MatchesBep5()
    {
        byte[] buffer = new byte[128];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("e"u8);
        writer.WriteStartList();
        writer.WriteInteger(201);
        writer.WriteString("A Generic Error Ocurred"u8);
        writer.WriteEnd();
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "e"u8);
        writer.WriteEnd();

        Assert.That(Text(writer.WrittenSpan), Is.EqualTo("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"));
    }

    [Test]
    public void Write_GetPeersResponseWithValues_MatchesBep5()
    {
        byte[] buffer = new byte[128];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("r"u8);
        writer.WriteStartDictionary();
        writer.WriteString("id"u8, "abcdefghij0123456789"u8);
        writer.WriteString("token"u8, "aoeusnth"u8);
        writer.WriteKey("values"u8);
        writer.WriteStartList();
        writer.WriteString("axje.u"u8);
        writer.WriteString("idhtnm"u8);
        writer.WriteEnd();
        writer.WriteEnd();
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "r"u8);
        writer.WriteEnd();

        Assert.That(
            Text(writer.WrittenSpan),
            Is.EqualTo("d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"));
    }

    [TestCase(0L, "i0e")]
    [TestCase(1L, "i1e")]
    [TestCase(-1L, "i-1e")]
    [TestCase(42L, "i42e")]
    [TestCase(-42L, "i-42e")]
    [TestCase(10L, "i10e")]
    [TestCase(4_294_967_296L, "i4294967296e")]
    [TestCase(long.MaxValue, "i9223372036854775807e")]
    [TestCase(long.MinValue, "i-9223372036854775808e")]
    public void WriteInteger_ExactBytes(long value, string expected)
    {
        byte[] buffer = new byte[expected.Length];
        var writer = new BencodeWriter(buffer);
        writer.WriteInteger(value);
        Assert.That(writer.Overflowed, Is.False);
        Assert.That(Text(writer.WrittenSpan), Is.EqualTo(expected));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(9)]
    [TestCase(10)]
    [TestCase(99)]
    [TestCase(100)]
    [TestCase(208)]
    [TestCase(1000)]
    [TestCase(10_000)]
    public void WriteString_LengthPrefixAndBytes(int length)
    {
        byte[] payload = new byte[length];
        new Random(length).NextBytes(payload);
        byte[] expected = [.. Encoding.ASCII.GetBytes($"{length}:"), .. payload];

        Assert.That(BencodeWriter.StringSize(length), Is.EqualTo(expected.Length));
        byte[] buffer = new byte[expected.Length];
        var writer = new BencodeWriter(buffer);
        writer.WriteString(payload);
        Assert.That(writer.Overflowed, Is.False);
        Assert.That(writer.BytesWritten, Is.EqualTo(expected.Length));
        Assert.That(buffer, Is.EqualTo(expected));
    }

    [Test]
    public void WriteString_NonUtf8Bytes_AreWrittenAsIs()
    {
        byte[] payload = [0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80];
        byte[] buffer = new byte[16];
        var writer = new BencodeWriter(buffer);
        writer.WriteString(payload);
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { (byte)'6', (byte)':', 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80 }));
    }

    [Test]
    public void Write_EmptyAndNestedContainers()
    {
        Assert.That(Write(static (ref BencodeWriter w) => { w.WriteStartList(); w.WriteEnd(); }), Is.EqualTo("le"));
        Assert.That(Write(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteEnd(); }), Is.EqualTo("de"));
        Assert.That(
            Write(static (ref BencodeWriter w) =>
            {
                w.WriteStartList();
                w.WriteStartList();
                w.WriteEnd();
                w.WriteStartDictionary();
                w.WriteKey(""u8);
                w.WriteStartList();
                w.WriteEnd();
                w.WriteEnd();
                w.WriteString(""u8);
                w.WriteInteger(0);
                w.WriteEnd();
            }),
            Is.EqualTo("lled0:lee0:i0ee"));
    }

    [Test]
    public void Write_TracksDepthAndBytesWritten()
    {
        byte[] buffer = new byte[32];
        var writer = new BencodeWriter(buffer);
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((0, 0)));
        writer.WriteStartList();
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((1, 1)));
        writer.WriteStartDictionary();
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((2, 2)));
        writer.WriteInteger("k"u8, 7);
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((2, 8)));
        writer.WriteEnd();
        writer.WriteEnd();
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((0, 10)));
        Assert.That(Text(writer.WrittenSpan), Is.EqualTo("ld1:ki7eee"));
    }

    [TestCase(0, 2)]
    [TestCase(9, 11)]
    [TestCase(10, 13)]
    [TestCase(99, 102)]
    [TestCase(100, 104)]
    [TestCase(123_456, 123_463)]
    public void StringSize(int length, int expected) => Assert.That(BencodeWriter.StringSize(length), Is.EqualTo(expected));

    // ---- Key order ----------------------------------------------------------------------------------

    [TestCase("b", "a")]
    [TestCase("a", "a")]
    [TestCase("ab", "a")] // a prefix sorts first
    [TestCase("", "")]
    [TestCase("\u00ff", "a")] // raw bytes compare unsigned
    [TestCase("a", "\u0000")]
    [TestCase("k0123456789", "k0123456788")] // 11-byte keys: the remembered key must start after "11:"
    [TestCase("k0123456789", "k0123456789")]
    [TestCase("aaaaaaaaab", "aaaaaaaaaa")] // exactly 10 bytes
    public void WriteKey_OutOfOrderOrDuplicate_Throws(string first, string second)
    {
        byte[] firstKey = Latin1(first);
        byte[] secondKey = Latin1(second);
        var ex = Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new BencodeWriter(new byte[64]);
            writer.WriteStartDictionary();
            writer.WriteInteger(firstKey, 1);
            writer.WriteInteger(secondKey, 2);
        })!;
        Assert.That(ex.Message, Does.Contain(first == second ? "twice" : "ascending"));

        // The other way round is the correct order.
        if (first != second)
        {
            Assert.That(
                Write(
                    (ref BencodeWriter w) =>
                    {
                        w.WriteStartDictionary();
                        w.WriteInteger(secondKey, 2);
                        w.WriteInteger(firstKey, 1);
                        w.WriteEnd();
                    }),
                Is.EqualTo($"d{second.Length}:{second}i2e{first.Length}:{first}i1ee"));
        }
    }

    [Test]
    public void WriteKey_ManyAscendingKeys()
    {
        string[] keys = ["", "\u0000", "0", "1", "10", "9", "A", "a", "aa", "ab", "b", "id", "nodes", "token", "values", "\u007f", "\u0080", "\u00ff", "\u00ff\u00ff"];
        byte[] buffer = new byte[256];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        foreach (string key in keys)
        {
            writer.WriteString(Latin1(key), "v"u8);
        }

        writer.WriteEnd();
        Assert.That(writer.Overflowed, Is.False);
        Assert.That(BencodeReader.IsValid(writer.WrittenSpan, new BencodeReaderOptions { Strict = true }, out BencodeError error, out _), Is.True, error.ToString());
    }

    [Test]
    public void WriteKey_OrderIsPerDictionary()
    {
        // Sibling dictionaries start afresh; an outer dictionary remembers its last key across an inner one.
        string text = Write(static (ref BencodeWriter w) =>
        {
            w.WriteStartList();
            w.WriteStartDictionary();
            w.WriteInteger("b"u8, 1);
            w.WriteEnd();
            w.WriteStartDictionary();
            w.WriteInteger("a"u8, 1);
            w.WriteEnd();
            w.WriteEnd();
        });
        Assert.That(text, Is.EqualTo("ld1:bi1eed1:ai1eee"));

        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new BencodeWriter(new byte[64]);
            w.WriteStartDictionary();
            w.WriteKey("b"u8);
            w.WriteStartDictionary();
            w.WriteInteger("z"u8, 1);
            w.WriteEnd();
            w.WriteInteger("a"u8, 2);
        });

        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new BencodeWriter(new byte[64]);
            w.WriteStartDictionary();
            w.WriteKey("b"u8);
            w.WriteStartDictionary();
            w.WriteInteger("a"u8, 1);
            w.WriteEnd();
            w.WriteInteger("b"u8, 2);
        });
    }

    [TestCase(9)]
    [TestCase(10)]
    [TestCase(16)]
    [TestCase(63)]
    [TestCase(64)]
    public void WriteKey_NestedDeeperThanInlineSlots_StillChecksOrder(int depth)
    {
        byte[] buffer = new byte[depth * 32];
        var writer = new BencodeWriter(buffer);
        var reference = new List<BDictionary>();
        for (int d = 1; d <= depth; d++)
        {
            writer.WriteStartDictionary();
            var dictionary = new BDictionary([]);
            if (reference.Count > 0)
            {
                reference[^1].Entries.Add(new("m"u8.ToArray(), dictionary));
            }

            reference.Add(dictionary);
            if (d < depth)
            {
                writer.WriteKey("m"u8);
            }
        }

        // Innermost: "m" then a smaller and an equal key.
        writer.WriteInteger("m"u8, 0);
        reference[^1].Entries.Add(new("m"u8.ToArray(), new BInteger(0)));
        Assert.That(ThrowsInvalidOperation(ref writer, "a"u8), Is.True, "unsorted at the innermost level");
        Assert.That(ThrowsInvalidOperation(ref writer, "m"u8), Is.True, "duplicate at the innermost level");

        // On the way out every level still remembers its "m": "l" and "m" are refused, "n" is taken.
        for (int d = depth; d >= 1; d--)
        {
            if (d < depth)
            {
                Assert.That(ThrowsInvalidOperation(ref writer, "l"u8), Is.True, $"unsorted at depth {d}");
                Assert.That(ThrowsInvalidOperation(ref writer, "m"u8), Is.True, $"duplicate at depth {d}");
            }

            writer.WriteInteger("n"u8, d);
            reference[d - 1].Entries.Add(new("n"u8.ToArray(), new BInteger(d)));
            Assert.That(ThrowsInvalidOperation(ref writer, "n"u8), Is.True, $"duplicate at depth {d}");
            writer.WriteEnd();
            Assert.That(writer.CurrentDepth, Is.EqualTo(d - 1));
        }

        Assert.That(writer.Overflowed, Is.False);
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(ReferenceEncoder.Encode(reference[0])));
    }

    [Test]
    public void WriteKey_DeepListsBetweenDictionaries_KeepEachDictionarysKey()
    {
        // Dictionaries at depths 1, 10 and 20 with lists in between.
        byte[] buffer = new byte[256];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("b"u8);
        for (int i = 0; i < 8; i++)
        {
            writer.WriteStartList();
        }

        writer.WriteStartDictionary(); // depth 10
        writer.WriteKey("q"u8);
        for (int i = 0; i < 9; i++)
        {
            writer.WriteStartList();
        }

        writer.WriteStartDictionary(); // depth 20
        writer.WriteInteger("x"u8, 1);
        Assert.That(ThrowsInvalidOperation(ref writer, "w"u8), Is.True);
        writer.WriteEnd();
        for (int i = 0; i < 9; i++)
        {
            writer.WriteEnd();
        }

        Assert.That(writer.CurrentDepth, Is.EqualTo(10));
        Assert.That(ThrowsInvalidOperation(ref writer, "p"u8), Is.True);
        Assert.That(ThrowsInvalidOperation(ref writer, "q"u8), Is.True);
        writer.WriteInteger("r"u8, 2);
        writer.WriteEnd();
        for (int i = 0; i < 8; i++)
        {
            writer.WriteEnd();
        }

        Assert.That(ThrowsInvalidOperation(ref writer, "a"u8), Is.True);
        writer.WriteInteger("c"u8, 3);
        writer.WriteEnd();
        Assert.That(
            Text(writer.WrittenSpan),
            Is.EqualTo("d1:b" + new string('l', 8) + "d1:q" + new string('l', 9) + "d1:xi1e" + new string('e', 10)
                + "1:ri2e" + new string('e', 9) + "1:ci3ee"));
    }

    // ---- Misuse -------------------------------------------------------------------------------------

    [Test]
    public void Misuse_ThrowsInvalidOperationException()
    {
        AssertMisuse(static (ref BencodeWriter w) => w.WriteKey("a"u8), "key at the top level");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartList(); w.WriteKey("a"u8); }, "key in a list");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteInteger(1); }, "value without a key");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteString("v"u8); }, "string without a key");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteStartList(); }, "list without a key");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteRawValue("i1e"u8); }, "raw value without a key");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteKey("a"u8); w.WriteKey("b"u8); }, "two keys in a row");
        AssertMisuse(static (ref BencodeWriter w) => w.WriteEnd(), "end with nothing open");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartList(); w.WriteEnd(); w.WriteEnd(); }, "end once too often");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartDictionary(); w.WriteKey("a"u8); w.WriteEnd(); }, "end after a key");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteInteger(1); w.WriteInteger(2); }, "two top-level values");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteStartList(); w.WriteEnd(); w.WriteStartList(); }, "second top-level list");
        AssertMisuse(static (ref BencodeWriter w) => { w.WriteString("x"u8); w.WriteRawValue("i1e"u8); }, "raw after a top-level value");
        AssertMisuse(
            static (ref BencodeWriter w) =>
            {
                for (int i = 0; i < 65; i++)
                {
                    w.WriteStartList();
                }
            },
            "nesting deeper than 64");
    }

    [Test]
    public void Nesting64Deep_IsWritten()
    {
        byte[] buffer = new byte[128];
        var writer = new BencodeWriter(buffer);
        for (int i = 0; i < 64; i++)
        {
            writer.WriteStartList();
        }

        for (int i = 0; i < 64; i++)
        {
            writer.WriteEnd();
        }

        Assert.That(Text(writer.WrittenSpan), Is.EqualTo(new string('l', 64) + new string('e', 64)));
    }

    [Test]
    public void Misuse_WritesNothing()
    {
        // A call that throws leaves the output and the state as they were, so the writer stays usable.
        byte[] buffer = new byte[256];
        var writer = new BencodeWriter(buffer);
        for (int i = 0; i < 63; i++)
        {
            writer.WriteStartList();
        }

        writer.WriteStartDictionary();
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((64, 64)));
        writer.WriteInteger("b"u8, 1);
        int written = writer.BytesWritten;

        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteKey("a"u8)), Is.True);
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteKey("b"u8)), Is.True);
        writer.WriteKey("c"u8);
        written = writer.BytesWritten;
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteStartList()), Is.True, "nesting deeper than 64");
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteStartDictionary()), Is.True, "nesting deeper than 64");
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteEnd()), Is.True, "end after a key");
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteKey("d"u8)), Is.True, "two keys in a row");
        Assert.That((writer.CurrentDepth, writer.BytesWritten), Is.EqualTo((64, written)));

        writer.WriteInteger(3);
        writer.WriteEnd();
        for (int i = 0; i < 63; i++)
        {
            writer.WriteEnd();
        }

        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteInteger(4)), Is.True, "second top-level value");
        Assert.That(Throws(ref writer, static (ref BencodeWriter w) => w.WriteEnd()), Is.True, "end with nothing open");
        Assert.That(
            Text(writer.WrittenSpan),
            Is.EqualTo(new string('l', 63) + "d1:bi1e1:ci3ee" + new string('e', 63)));
        Assert.That(BencodeReader.IsValid(writer.WrittenSpan, new BencodeReaderOptions { MaxDepth = 64, Strict = true }, out _, out _), Is.True);
    }

    // ---- Raw values ---------------------------------------------------------------------------------

    [Test]
    public void WriteRawValue_IsCopiedAsIs()
    {
        Assert.That(Write(static (ref BencodeWriter w) => w.WriteRawValue("i1e"u8)), Is.EqualTo("i1e"));
        Assert.That(
            Write(static (ref BencodeWriter w) =>
            {
                w.WriteStartList();
                w.WriteRawValue("4:spam"u8);
                w.WriteRawValue("d1:ai1ee"u8);
                w.WriteEnd();
            }),
            Is.EqualTo("l4:spamd1:ai1eee"));

        // A BEP 44 style item: the raw value's own keys do not disturb the outer dictionary's order.
        Assert.That(
            Write(static (ref BencodeWriter w) =>
            {
                w.WriteStartDictionary();
                w.WriteInteger("seq"u8, 1);
                w.WriteKey("v"u8);
                w.WriteRawValue("d1:zi1ee"u8);
                w.WriteString("w"u8, "x"u8);
                w.WriteEnd();
            }),
            Is.EqualTo("d3:seqi1e1:vd1:zi1ee1:w1:xe"));

        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new BencodeWriter(new byte[64]);
            w.WriteStartDictionary();
            w.WriteKey("v"u8);
            w.WriteRawValue("d1:zi1ee"u8);
            w.WriteString("a"u8, "x"u8);
        });
    }

    // ---- Overflow -----------------------------------------------------------------------------------

    [Test]
    public void Overflow_AtEverySize_SetsOverflowedAndStaysInBounds()
    {
        byte[] full = Encode(WriteSample);
        Assert.That(full, Has.Length.GreaterThan(200));

        for (int size = 0; size <= full.Length; size++)
        {
            byte[] buffer = new byte[size + 16];
            Array.Fill(buffer, Guard);
            var writer = new BencodeWriter(buffer.AsSpan(8, size));
            WriteSample(ref writer); // keeps going after overflow, never throws

            string context = $"size {size}";
            Assert.That(writer.Overflowed, Is.EqualTo(size < full.Length), context);
            Assert.That(writer.BytesWritten, Is.LessThanOrEqualTo(size), context);
            Assert.That(writer.WrittenSpan.Length, Is.EqualTo(writer.BytesWritten), context);
            Assert.That(writer.CurrentDepth, Is.Zero, context);
            Assert.That(writer.WrittenSpan.SequenceEqual(full.AsSpan(0, writer.BytesWritten)), Is.True, $"{context}: output is a prefix of the full encoding");
            Assert.That(buffer.AsSpan(0, 8).IndexOfAnyExcept(Guard), Is.EqualTo(-1), $"{context}: wrote before the span");
            Assert.That(buffer.AsSpan(8 + size).IndexOfAnyExcept(Guard), Is.EqualTo(-1), $"{context}: wrote past the span");
        }
    }

    [Test]
    public void Overflow_IsSticky_NothingMoreIsWritten()
    {
        byte[] buffer = new byte[8];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartList();
        writer.WriteString("0123456789"u8); // does not fit
        Assert.That(writer.Overflowed, Is.True);
        Assert.That(writer.BytesWritten, Is.EqualTo(1));
        writer.WriteInteger(1); // would fit, but the output is already broken
        writer.WriteEnd();
        Assert.That(writer.Overflowed, Is.True);
        Assert.That(writer.BytesWritten, Is.EqualTo(1));
        Assert.That(buffer.AsSpan(1).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
    }

    [Test]
    public void Overflow_ZeroLengthDestination()
    {
        var writer = new BencodeWriter(Span<byte>.Empty);
        writer.WriteInteger(0);
        Assert.That(writer.Overflowed, Is.True);
        Assert.That(writer.BytesWritten, Is.Zero);
    }

    [Test]
    public void Overflow_RawValue_WritesNothingOfIt()
    {
        byte[] buffer = new byte[6];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartList();
        writer.WriteRawValue("d1:ai1ee"u8);
        Assert.That(writer.Overflowed, Is.True);
        Assert.That(writer.BytesWritten, Is.EqualTo(1));
        Assert.That(buffer.AsSpan(1).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
    }

    [Test]
    public void Write_IntoCallersBuffer_DoesNotAllocate()
    {
        byte[] buffer = new byte[512];
        int written = WriteOnce(buffer); // warm up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            written += WriteOnce(buffer);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(written, Is.GreaterThan(0));

        static int WriteOnce(byte[] buffer)
        {
            var writer = new BencodeWriter(buffer);
            WriteSample(ref writer);
            return writer.BytesWritten;
        }
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    private delegate void WriteAction(ref BencodeWriter writer);

    /// <summary>A get_peers response with integers, a list, nested dictionaries and a 208-byte string.</summary>
    private static void WriteSample(ref BencodeWriter w)
    {
        w.WriteStartDictionary();
        w.WriteString("ip"u8, CompactAddress);
        w.WriteKey("r"u8);
        w.WriteStartDictionary();
        w.WriteString("id"u8, "abcdefghij0123456789"u8);
        w.WriteString("nodes"u8, Nodes);
        w.WriteInteger("port"u8, -6881);
        w.WriteString("token"u8, "aoeusnth"u8);
        w.WriteKey("values"u8);
        w.WriteStartList();
        w.WriteString("axje.u"u8);
        w.WriteString("idhtnm"u8);
        w.WriteEnd();
        w.WriteEnd();
        w.WriteString("t"u8, "aa"u8);
        w.WriteString("y"u8, "r"u8);
        w.WriteEnd();
    }

    private static bool ThrowsInvalidOperation(ref BencodeWriter writer, ReadOnlySpan<byte> key)
    {
        try
        {
            writer.WriteKey(key);
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static bool Throws(ref BencodeWriter writer, WriteAction action)
    {
        try
        {
            action(ref writer);
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void AssertMisuse(WriteAction action, string what)
    {
        Assert.Throws<InvalidOperationException>(
            () =>
            {
                var writer = new BencodeWriter(new byte[256]);
                action(ref writer);
            },
            what);
    }

    private static byte[] Encode(WriteAction action)
    {
        byte[] buffer = new byte[4096];
        var writer = new BencodeWriter(buffer);
        action(ref writer);
        Assert.That(writer.Overflowed, Is.False);
        Assert.That(writer.CurrentDepth, Is.Zero);
        return writer.WrittenSpan.ToArray();
    }

    private static string Write(WriteAction action) => Text(Encode(action));

}
