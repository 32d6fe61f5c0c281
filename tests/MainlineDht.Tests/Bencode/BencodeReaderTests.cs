using System.Globalization;
using MainlineDht.Bencode;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Bencode;

[TestFixture]
public sealed class BencodeReaderTests
{
    private const string PingQuery = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";

    private static readonly BencodeReaderOptions Strict = new() { Strict = true };

    private static readonly byte[] FuzzAlphabet = "ilde0123456789:-x"u8.ToArray();

    // Valid documents used for truncation and as fuzz seeds.
    private static readonly string[] ValidDocuments =
    [
        "i0e",
        "i-42e",
        "i9223372036854775807e",
        "i-9223372036854775808e",
        "0:",
        "4:spam",
        "10:0123456789",
        "le",
        "de",
        "l4:spami42ee",
        "d3:bar4:spam3:fooi42ee",
        "lllleeee",
        "d1:ald1:bi1eeee",
        PingQuery,
        "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
        "d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re",
        "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
        "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
    ];

    private static IEnumerable<string> ValidDocumentCases => ValidDocuments;

    // ---- Tokens -------------------------------------------------------------------------------

    [Test]
    public void Read_EveryTokenKind()
    {
        const string input = "d3:inti-7e4:listli1e0:ledee3:str3:abce";
        Assert.That(Tokens(input), Is.EqualTo("d k:int i:-7 k:list l i:1 s: l /l d /d /l k:str s:abc /d"));
    }

    [Test]
    public void Read_PingQuery()
    {
        Assert.That(Tokens(PingQuery), Is.EqualTo("d k:a d k:id s:abcdefghij0123456789 /d k:q s:ping k:t s:aa k:y s:q /d"));
        Assert.That(Tokens(PingQuery, Strict), Is.EqualTo(Tokens(PingQuery)));
    }

    [Test]
    public void Read_ReportsPositionsAndDepthOfEachToken()
    {
        byte[] data = Latin1("ld1:ai1ee3:abce");
        var reader = new BencodeReader(data);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.None));
        Assert.That(reader.BytesConsumed, Is.Zero);

        (BencodeTokenType Type, int Start, int Consumed, int Depth)[] expected =
        [
            (BencodeTokenType.StartList, 0, 1, 1),
            (BencodeTokenType.StartDictionary, 1, 2, 2),
            (BencodeTokenType.Key, 2, 5, 2),
            (BencodeTokenType.Integer, 5, 8, 2),
            (BencodeTokenType.EndDictionary, 8, 9, 1),
            (BencodeTokenType.String, 9, 14, 1),
            (BencodeTokenType.EndList, 14, 15, 0),
        ];

        foreach (var token in expected)
        {
            Assert.That(reader.IsComplete, Is.False);
            Assert.That(reader.Read(), Is.True);
            Assert.That(
                (reader.TokenType, reader.TokenStartIndex, reader.BytesConsumed, reader.CurrentDepth),
                Is.EqualTo(token));
            if (token.Type == BencodeTokenType.Key)
            {
                Assert.That((reader.ValueStart, reader.ValueLength), Is.EqualTo((4, 1)));
            }
            else if (token.Type == BencodeTokenType.String)
            {
                Assert.That((reader.ValueStart, reader.ValueLength), Is.EqualTo((11, 3)));
            }
        }

        Assert.That(reader.IsComplete, Is.True);
        Assert.That(reader.Read(), Is.False);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.None));
        Assert.That(reader.Error, Is.EqualTo(BencodeError.None));
        Assert.That(reader.TryRead(), Is.False, "the end stays the end");
        Assert.That(reader.Read(), Is.False);
    }

    [TestCase("i0e", 0L)]
    [TestCase("i1e", 1L)]
    [TestCase("i-1e", -1L)]
    [TestCase("i42e", 42L)]
    [TestCase("i-42e", -42L)]
    [TestCase("i10e", 10L)]
    [TestCase("i1000000e", 1_000_000L)]
    [TestCase("i4294967296e", 4_294_967_296L)]
    [TestCase("i9223372036854775807e", long.MaxValue)]
    [TestCase("i-9223372036854775808e", long.MinValue)]
    [TestCase("i9223372036854775806e", long.MaxValue - 1)]
    [TestCase("i-9223372036854775807e", long.MinValue + 1)]
    public void Read_Integer(string input, long expected)
    {
        var reader = new BencodeReader(Latin1(input));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.Integer));
        Assert.That(reader.IntegerValue, Is.EqualTo(expected));
        Assert.That(reader.BytesConsumed, Is.EqualTo(input.Length));
        Assert.That(reader.IsComplete, Is.True);
        Assert.That(reader.Read(), Is.False);
    }

    [TestCase("0:", "")]
    [TestCase("4:spam", "spam")]
    [TestCase("5:i1e:e", "i1e:e")]
    [TestCase("3:dee", "dee")]
    [TestCase("10:0123456789", "0123456789")]
    public void Read_String(string input, string expected)
    {
        var reader = new BencodeReader(Latin1(input));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.String));
        Assert.That(Text(reader.ValueSpan), Is.EqualTo(expected));
        Assert.That(reader.ValueTextEquals(Latin1(expected)), Is.True);
        Assert.That(reader.ValueTextEquals("other"u8), Is.False);
        Assert.That(reader.Read(), Is.False);
    }

    [Test]
    public void Read_StringThatIsNotUtf8_IsReturnedByteForByte()
    {
        byte[] payload = [0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0xed, 0xa0, 0x80, (byte)'e', (byte)':'];
        byte[] data = [.. "11:"u8, .. payload];
        var reader = new BencodeReader(data);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.String));
        Assert.That(reader.ValueSpan.ToArray(), Is.EqualTo(payload));
        Assert.That(reader.Read(), Is.False);
    }

    [Test]
    public void Read_LongString()
    {
        byte[] payload = new byte[300];
        new Random(7).NextBytes(payload);
        byte[] data = [.. "300:"u8, .. payload];
        var reader = new BencodeReader(data);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.ValueSpan.ToArray(), Is.EqualTo(payload));
        Assert.That(reader.ValueStart, Is.EqualTo(4));
    }

    [Test]
    public void Read_BinaryKeysAndValues()
    {
        byte[] data = [(byte)'d', .. "2:"u8, 0x00, 0xff, .. "3:"u8, 0x80, 0x81, 0x82, (byte)'e'];
        var reader = new BencodeReader(data, Strict);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.Key));
        Assert.That(reader.ValueSpan.ToArray(), Is.EqualTo(new byte[] { 0x00, 0xff }));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.String));
        Assert.That(reader.ValueSpan.ToArray(), Is.EqualTo(new byte[] { 0x80, 0x81, 0x82 }));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.EndDictionary));
    }

    [Test]
    public void Read_NestedListsAndDictionaries()
    {
        Assert.That(Tokens("lllleeee"), Is.EqualTo("l l l l /l /l /l /l"));
        Assert.That(Tokens("d1:ald1:bi1eeee"), Is.EqualTo("d k:a l d k:b i:1 /d /l /d"));
        Assert.That(Tokens("ld1:ai1eed1:bi2eeli3eli4eeee"), Is.EqualTo("l d k:a i:1 /d d k:b i:2 /d l i:3 l i:4 /l /l /l"));
        Assert.That(Tokens("d1:ad1:bd1:cleeee"), Is.EqualTo("d k:a d k:b d k:c l /l /d /d /d"));
    }

    [Test]
    public void ValueSpan_IsASliceOfTheInputNotACopy()
    {
        byte[] data = Latin1(PingQuery);
        var reader = new BencodeReader(data);
        int strings = 0;
        while (reader.Read())
        {
            if (reader.TokenType is BencodeTokenType.String or BencodeTokenType.Key)
            {
                Assert.That(data.AsSpan().Overlaps(reader.ValueSpan, out int elementOffset), Is.True);
                Assert.That(elementOffset, Is.EqualTo(reader.ValueStart));
                Assert.That(reader.ValueSpan.Length, Is.EqualTo(reader.ValueLength));
                Assert.That(reader.ValueSpan.SequenceEqual(data.AsSpan(reader.ValueStart, reader.ValueLength)), Is.True);
                strings++;
            }
        }

        Assert.That(strings, Is.EqualTo(9));
    }

    [Test]
    public void Read_DoesNotAllocate()
    {
        byte[] data = Latin1(ValidDocuments[^2]);
        long checksum = WalkAll(data); // warm up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            checksum += WalkAll(data);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
        Assert.That(checksum, Is.Not.Zero);

        static long WalkAll(ReadOnlySpan<byte> data)
        {
            var reader = new BencodeReader(data);
            long sum = 0;
            while (reader.Read())
            {
                sum += (int)reader.TokenType + reader.ValueLength;
            }

            return sum;
        }
    }

    [Test]
    public void IsValid_ReportsErrorAndOffset()
    {
        Assert.That(BencodeReader.IsValid(Latin1(PingQuery), default, out BencodeError error, out int offset), Is.True);
        Assert.That((error, offset), Is.EqualTo((BencodeError.None, 0)));

        Assert.That(BencodeReader.IsValid(Latin1("d1:bi1e1:ai2ee"), default, out error, out _), Is.True);
        Assert.That(BencodeReader.IsValid(Latin1("d1:bi1e1:ai2ee"), Strict, out error, out offset), Is.False);
        Assert.That((error, offset), Is.EqualTo((BencodeError.UnsortedKeys, 7)));
    }

    // ---- Rejection: error and offset ------------------------------------------------------------

    [TestCase("i03e", BencodeError.LeadingZero, 1)]
    [TestCase("i00e", BencodeError.LeadingZero, 1)]
    [TestCase("i-03e", BencodeError.LeadingZero, 2)]
    [TestCase("i-00e", BencodeError.LeadingZero, 2)]
    [TestCase("li1ei01ee", BencodeError.LeadingZero, 5)]
    [TestCase("03:abc", BencodeError.LeadingZero, 0)]
    [TestCase("00:", BencodeError.LeadingZero, 0)]
    [TestCase("l01:ae", BencodeError.LeadingZero, 1)]
    [TestCase("d01:ai1ee", BencodeError.LeadingZero, 1)]
    [TestCase("i-0e", BencodeError.NegativeZero, 0)]
    [TestCase("li-0ee", BencodeError.NegativeZero, 1)]
    [TestCase("i9223372036854775808e", BencodeError.IntegerOverflow, 0)]
    [TestCase("i-9223372036854775809e", BencodeError.IntegerOverflow, 0)]
    [TestCase("i18446744073709551616e", BencodeError.IntegerOverflow, 0)]
    [TestCase("i99999999999999999999999999e", BencodeError.IntegerOverflow, 0)]
    [TestCase("li9223372036854775808ee", BencodeError.IntegerOverflow, 1)]
    [TestCase("d1:ai-9223372036854775809ee", BencodeError.IntegerOverflow, 4)]
    [TestCase("ie", BencodeError.InvalidInteger, 1)]
    [TestCase("i-e", BencodeError.InvalidInteger, 2)]
    [TestCase("i--1e", BencodeError.InvalidInteger, 2)]
    [TestCase("i+1e", BencodeError.InvalidInteger, 1)]
    [TestCase("i 1e", BencodeError.InvalidInteger, 1)]
    [TestCase("i1.5e", BencodeError.InvalidInteger, 2)]
    [TestCase("i1-e", BencodeError.InvalidInteger, 2)]
    [TestCase("lie", BencodeError.InvalidInteger, 2)]
    [TestCase("i", BencodeError.UnexpectedEnd, 1)]
    [TestCase("i-", BencodeError.UnexpectedEnd, 2)]
    [TestCase("i12", BencodeError.UnexpectedEnd, 3)]
    [TestCase("", BencodeError.UnexpectedEnd, 0)]
    [TestCase("5:abc", BencodeError.StringPastEnd, 0)]
    [TestCase("4:abc", BencodeError.StringPastEnd, 0)]
    [TestCase("1:", BencodeError.StringPastEnd, 0)]
    [TestCase("3", BencodeError.StringPastEnd, 0)]
    [TestCase("12", BencodeError.StringPastEnd, 0)]
    [TestCase("l5:abce", BencodeError.StringPastEnd, 1)]
    [TestCase("d4:abci1ee", BencodeError.InvalidStringLength, 8)]
    [TestCase("d9:abci1ee", BencodeError.StringPastEnd, 1)]
    [TestCase("99999999999999999999:", BencodeError.StringPastEnd, 0)]
    [TestCase("2147483648:", BencodeError.StringPastEnd, 0)]
    [TestCase("3x:abc", BencodeError.InvalidStringLength, 1)]
    [TestCase("3-abc", BencodeError.InvalidStringLength, 1)]
    [TestCase("l1 :ae", BencodeError.InvalidStringLength, 2)]
    [TestCase("-3:abc", BencodeError.InvalidToken, 0)]
    [TestCase("x", BencodeError.InvalidToken, 0)]
    [TestCase("e", BencodeError.InvalidToken, 0)]
    [TestCase(":", BencodeError.InvalidToken, 0)]
    [TestCase("lxe", BencodeError.InvalidToken, 1)]
    [TestCase("d1:axe", BencodeError.InvalidToken, 4)]
    [TestCase("l", BencodeError.UnterminatedContainer, 1)]
    [TestCase("d", BencodeError.UnterminatedContainer, 1)]
    [TestCase("li1e", BencodeError.UnterminatedContainer, 4)]
    [TestCase("d1:ai1e", BencodeError.UnterminatedContainer, 7)]
    [TestCase("d1:a", BencodeError.UnterminatedContainer, 4)]
    [TestCase("lld1:ai1eee", BencodeError.UnterminatedContainer, 11)]
    [TestCase("i1ei2e", BencodeError.TrailingBytes, 3)]
    [TestCase("lee", BencodeError.TrailingBytes, 2)]
    [TestCase("dex", BencodeError.TrailingBytes, 2)]
    [TestCase("0: ", BencodeError.TrailingBytes, 2)]
    [TestCase("4:spam\n", BencodeError.TrailingBytes, 6)]
    [TestCase("d1:ai1eee", BencodeError.TrailingBytes, 8)]
    [TestCase("di1ei2ee", BencodeError.KeyNotString, 1)]
    [TestCase("dlei1ee", BencodeError.KeyNotString, 1)]
    [TestCase("ddei1ee", BencodeError.KeyNotString, 1)]
    [TestCase("d1:ai1ei2ei3ee", BencodeError.KeyNotString, 7)]
    [TestCase("d1:ai1exe", BencodeError.KeyNotString, 7)]
    [TestCase("d1:ae", BencodeError.MissingValue, 4)]
    [TestCase("d1:ai1e1:be", BencodeError.MissingValue, 10)]
    [TestCase("ld1:aee", BencodeError.MissingValue, 5)]
    public void Read_RejectsMalformedInput(string input, BencodeError error, int offset)
    {
        AssertRejected(Latin1(input), default, error, offset);
        AssertRejected(Latin1(input), Strict, error, offset);
    }

    [TestCase("d1:bi1e1:ai2ee", BencodeError.UnsortedKeys, 7)]
    [TestCase("d1:ai1e1:ai2ee", BencodeError.DuplicateKey, 7)]
    [TestCase("d2:abi1e1:ai2ee", BencodeError.UnsortedKeys, 8)]
    [TestCase("d1:\u00ffi1e1:ai2ee", BencodeError.UnsortedKeys, 7)]
    [TestCase("d1:ai1e1:\u0000i2ee", BencodeError.UnsortedKeys, 7)]
    [TestCase("d0:i1e0:i2ee", BencodeError.DuplicateKey, 6)]
    [TestCase("d1:ai1e1:bi2e1:ai3ee", BencodeError.UnsortedKeys, 13)]
    [TestCase("d1:ad1:bi1e1:ai2ee1:ci3ee", BencodeError.UnsortedKeys, 11)]
    [TestCase("d1:bd1:zi1ee1:ai2ee", BencodeError.UnsortedKeys, 12)]
    [TestCase("d1:bd1:zi1ee1:bi2ee", BencodeError.DuplicateKey, 12)]
    [TestCase("ld1:bi1eed1:ai1e1:ai2eee", BencodeError.DuplicateKey, 16)]
    [TestCase("d1:q4:ping1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe", BencodeError.UnsortedKeys, 10)]
    public void Read_Strict_RejectsUnsortedAndDuplicateKeys_NonStrictAcceptsThem(string input, BencodeError error, int offset)
    {
        AssertRejected(Latin1(input), Strict, error, offset);
        AssertRejected(Latin1(input), new BencodeReaderOptions { Strict = true, MaxDepth = 64 }, error, offset);

        Assert.That(BencodeReader.IsValid(Latin1(input), default, out BencodeError lenientError, out _), Is.True, lenientError.ToString());
        Assert.DoesNotThrow(() => Tokens(input));
    }

    [Test]
    public void Read_NonStrict_ExposesDuplicateKeysInWireOrder()
    {
        Assert.That(Tokens("d1:bi1e1:ai2e1:ai3ee"), Is.EqualTo("d k:b i:1 k:a i:2 k:a i:3 /d"));
    }

    [TestCase("d1:ai1e1:bi2ee")]
    [TestCase("d1:ai1e2:aai2ee")] // a prefix sorts first
    [TestCase("d0:i1e1:ai2ee")] // the empty key sorts first
    [TestCase("d1:ai1e1:\u00ffi2ee")] // raw bytes compare unsigned
    [TestCase("ld1:bi1eed1:ai1eee")] // sibling dictionaries are ordered independently
    [TestCase("d1:ad1:bi1ee1:bd1:ai1eee")] // a nested dictionary reuses its depth's slot
    [TestCase("d1:ad1:zd1:yi1eee1:bd1:ai1eee")]
    public void Read_Strict_AcceptsSortedKeys(string input)
    {
        Assert.That(BencodeReader.IsValid(Latin1(input), Strict, out BencodeError error, out int offset), Is.True, $"{error} at {offset}");
        Assert.That(Tokens(input, Strict), Is.EqualTo(Tokens(input)));
    }

    // ---- Depth ------------------------------------------------------------------------------------

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(8)]
    [TestCase(9)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(33)]
    [TestCase(63)]
    [TestCase(64)]
    public void Read_MaxDepth_IsEnforcedForListsAndDictionaries(int maxDepth)
    {
        var options = new BencodeReaderOptions { MaxDepth = maxDepth };
        var strict = new BencodeReaderOptions { MaxDepth = maxDepth, Strict = true };
        Assert.That(options.MaxDepth, Is.EqualTo(maxDepth));

        foreach (BencodeReaderOptions o in new[] { options, strict })
        {
            Assert.That(BencodeReader.IsValid(NestedLists(maxDepth), o, out BencodeError error, out _), Is.True, error.ToString());
            AssertRejected(NestedLists(maxDepth + 1), o, BencodeError.DepthExceeded, maxDepth);

            Assert.That(BencodeReader.IsValid(NestedDictionaries(maxDepth), o, out error, out _), Is.True, error.ToString());
            AssertRejected(NestedDictionaries(maxDepth + 1), o, BencodeError.DepthExceeded, 4 * maxDepth);
        }

        var reader = new BencodeReader(NestedLists(maxDepth), options);
        int deepest = 0;
        while (reader.Read())
        {
            deepest = Math.Max(deepest, reader.CurrentDepth);
        }

        Assert.That(deepest, Is.EqualTo(maxDepth));
    }

    [Test]
    public void Options_DefaultDepthIs32()
    {
        Assert.That(default(BencodeReaderOptions).MaxDepth, Is.EqualTo(BencodeReaderOptions.DefaultMaxDepth));
        Assert.That(new BencodeReaderOptions { MaxDepth = 0 }.MaxDepth, Is.EqualTo(32));
        Assert.That(BencodeReader.IsValid(NestedLists(32), default, out _, out _), Is.True);
        AssertRejected(NestedLists(33), default, BencodeError.DepthExceeded, 32);
        AssertRejected(NestedLists(1000), default, BencodeError.DepthExceeded, 32);
    }

    [TestCase(-1)]
    [TestCase(65)]
    [TestCase(int.MaxValue)]
    public void Options_RejectOutOfRangeDepth(int maxDepth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new BencodeReaderOptions { MaxDepth = maxDepth });
    }

    // ---- Skip ---------------------------------------------------------------------------------------

    [Test]
    public void Skip_OnKey_SkipsItsValue()
    {
        var reader = new BencodeReader(Latin1("d1:ali1ed1:xi2eee1:bi3ee"));
        Assert.That(reader.Read(), Is.True); // d
        Assert.That(reader.Read(), Is.True); // key a
        reader.Skip();
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.EndList));
        Assert.That(reader.CurrentDepth, Is.EqualTo(1));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.Key));
        Assert.That(reader.ValueTextEquals("b"u8), Is.True);
        Assert.That(reader.TrySkip(), Is.True); // a scalar value
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.Integer));
        Assert.That(reader.IntegerValue, Is.EqualTo(3));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.EndDictionary));
        Assert.That(reader.Read(), Is.False);
    }

    [Test]
    public void Skip_OnContainerStart_SkipsTheWholeContainer()
    {
        var reader = new BencodeReader(Latin1("ld1:ad1:bli1eeee3:abce"));
        Assert.That(reader.Read(), Is.True); // l
        Assert.That(reader.Read(), Is.True); // d
        Assert.That(reader.TrySkip(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.EndDictionary));
        Assert.That(reader.CurrentDepth, Is.EqualTo(1));
        Assert.That(reader.BytesConsumed, Is.EqualTo(16));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.String));
        Assert.That(reader.ValueTextEquals("abc"u8), Is.True);
    }

    [Test]
    public void Skip_OnScalarOrEmptyContainer_StaysPut()
    {
        var reader = new BencodeReader(Latin1("li5eleded1:ai1eee"));
        Assert.That(reader.Read(), Is.True); // l
        Assert.That(reader.Read(), Is.True); // i5e
        reader.Skip();
        Assert.That((reader.TokenType, reader.BytesConsumed), Is.EqualTo((BencodeTokenType.Integer, 4)));
        Assert.That(reader.Read(), Is.True); // l
        reader.Skip();
        Assert.That((reader.TokenType, reader.BytesConsumed, reader.CurrentDepth), Is.EqualTo((BencodeTokenType.EndList, 6, 1)));
        Assert.That(reader.Read(), Is.True); // d
        reader.Skip();
        Assert.That((reader.TokenType, reader.BytesConsumed, reader.CurrentDepth), Is.EqualTo((BencodeTokenType.EndDictionary, 8, 1)));
        Assert.That(reader.Read(), Is.True); // d
        reader.Skip();
        Assert.That((reader.TokenType, reader.CurrentDepth), Is.EqualTo((BencodeTokenType.EndDictionary, 1)));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.EndList));
        Assert.That(reader.IsComplete, Is.True);
    }

    [Test]
    public void Skip_TopLevelValue_CompletesTheDocument()
    {
        var reader = new BencodeReader(Latin1(PingQuery));
        Assert.That(reader.Read(), Is.True);
        reader.Skip();
        Assert.That(reader.IsComplete, Is.True);
        Assert.That(reader.BytesConsumed, Is.EqualTo(PingQuery.Length));
        Assert.That(reader.Read(), Is.False);
    }

    [TestCase("d1:ali1exe", BencodeError.InvalidToken, 8)]
    [TestCase("d1:ali1e", BencodeError.UnterminatedContainer, 8)]
    [TestCase("d1:ad1:bi1e1:ai2eee", BencodeError.UnsortedKeys, 11)]
    [TestCase("d1:a5:abc", BencodeError.StringPastEnd, 4)]
    public void Skip_MalformedValue_FailsWithErrorAndOffset(string input, BencodeError error, int offset)
    {
        byte[] data = Latin1(input);
        var reader = new BencodeReader(data, Strict);
        Assert.That(reader.Read(), Is.True); // d
        Assert.That(reader.Read(), Is.True); // key a
        Assert.That(reader.TrySkip(), Is.False);
        Assert.That((reader.Error, reader.ErrorOffset), Is.EqualTo((error, offset)));

        var ex = Assert.Throws<BencodeException>(() =>
        {
            var r = new BencodeReader(data, Strict);
            r.Read();
            r.Read();
            r.Skip();
        })!;
        Assert.That((ex.Error, ex.Offset), Is.EqualTo((error, offset)));
    }

    // ---- Errors are sticky and well described ---------------------------------------------------------

    [Test]
    public void Error_IsSticky()
    {
        var reader = new BencodeReader(Latin1("li1exi2ee"));
        Assert.That(reader.TryRead(), Is.True);
        Assert.That(reader.TryRead(), Is.True);
        Assert.That(reader.TryRead(), Is.False);
        Assert.That((reader.Error, reader.ErrorOffset, reader.TokenType), Is.EqualTo((BencodeError.InvalidToken, 4, BencodeTokenType.None)));
        Assert.That(reader.TryRead(), Is.False);
        Assert.That(reader.TrySkip(), Is.False);
        Assert.That((reader.Error, reader.ErrorOffset), Is.EqualTo((BencodeError.InvalidToken, 4)));
    }

    [Test]
    public void BencodeException_NamesErrorAndOffset()
    {
        var ex = new BencodeException(BencodeError.LeadingZero, 17);
        Assert.That(ex, Is.InstanceOf<FormatException>());
        Assert.That(ex.Message, Does.Contain("byte 17"));
        Assert.That(ex.Message, Does.Contain("leading zero"));
        foreach (BencodeError error in Enum.GetValues<BencodeError>())
        {
            Assert.That(BencodeException.Describe(error), Is.Not.EqualTo(error.ToString()), $"{error} has a description");
        }
    }

    // ---- Truncation and fuzz ------------------------------------------------------------------------------

    [TestCaseSource(nameof(ValidDocumentCases))]
    public void Truncation_AtEveryByte_FailsCleanly(string document)
    {
        byte[] full = Latin1(document);
        foreach (BencodeReaderOptions options in new[] { default, Strict })
        {
            Assert.That(BencodeReader.IsValid(full, options, out BencodeError error, out _), Is.True, error.ToString());
            for (int length = 0; length < full.Length; length++)
            {
                byte[] prefix = full[..length];
                (BencodeError tryError, int tryOffset) = TryReadToEnd(prefix, options);
                Assert.That(
                    tryError,
                    Is.AnyOf(BencodeError.UnexpectedEnd, BencodeError.StringPastEnd, BencodeError.UnterminatedContainer),
                    $"prefix of {length} bytes");
                Assert.That(tryOffset, Is.InRange(0, length));

                var ex = Assert.Throws<BencodeException>(() => ReadToEnd(prefix, options), $"prefix of {length} bytes")!;
                Assert.That((ex.Error, ex.Offset), Is.EqualTo((tryError, tryOffset)));
            }
        }
    }

    [Test]
    public void Fuzz_RandomAndMutatedInputs_OnlyBencodeExceptionEscapes()
    {
        var random = new Random(5_000_011);
        var corpus = new List<byte[]>(ValidDocuments.Select(Latin1));
        for (int i = 0; i < 200; i++)
        {
            corpus.Add(ReferenceEncoder.Encode(BValueGenerator.Generate(random, 5)));
        }

        BencodeReaderOptions[] optionSets =
        [
            default,
            Strict,
            new() { MaxDepth = 3 },
            new() { MaxDepth = 1, Strict = true },
        ];

        int validCount = 0;
        int invalidCount = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = (i % 4) switch
            {
                0 => RandomBytes(random, random.Next(0, 49), alphabet: null),
                1 => RandomBytes(random, random.Next(0, 49), FuzzAlphabet),
                _ => Mutate(random, corpus[random.Next(corpus.Count)]),
            };

            foreach (BencodeReaderOptions options in optionSets)
            {
                if (CheckFuzzInput(input, options))
                {
                    validCount++;
                }
                else
                {
                    invalidCount++;
                }
            }
        }

        // The mix must exercise both sides.
        Assert.That(validCount, Is.GreaterThan(1000));
        Assert.That(invalidCount, Is.GreaterThan(10_000));
    }

    /// <summary>Runs every entry point over <paramref name="input"/>; returns true if it is valid.</summary>
    private static bool CheckFuzzInput(byte[] input, BencodeReaderOptions options)
    {
        // Plain checks on the hot path: 80,000 NUnit constraint evaluations with formatted messages cost seconds.
        string Context() => $"input {ToHex(input)} (strict {options.Strict}, depth {options.MaxDepth})";

        // TryRead never throws and always makes progress.
        var reader = new BencodeReader(input, options);
        int steps = 0;
        try
        {
            while (reader.TryRead())
            {
                steps++;
                if (steps > input.Length)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            Assert.Fail($"TryRead threw {ex} for {Context()}");
        }

        BencodeError error = reader.Error;
        int offset = reader.ErrorOffset;
        if (steps > input.Length || offset < 0 || offset > input.Length || (!reader.IsComplete && error == BencodeError.None))
        {
            Assert.Fail($"{steps} tokens, stopped without completing or with {error} at {offset} for {Context()}");
        }

        // Read throws BencodeException, with the same error and offset, and nothing else.
        BencodeError readError = BencodeError.None;
        int readOffset = 0;
        try
        {
            ReadToEnd(input, options);
        }
        catch (BencodeException ex)
        {
            readError = ex.Error;
            readOffset = ex.Offset;
        }
        catch (Exception ex)
        {
            Assert.Fail($"Read threw {ex} for {Context()}");
        }

        if (readError != error || readOffset != offset)
        {
            Assert.Fail($"Read reported {readError} at {readOffset}, TryRead {error} at {offset} for {Context()}");
        }

        // Skipping the top-level value reaches the same verdict.
        BencodeError skipError = BencodeError.None;
        try
        {
            var skipper = new BencodeReader(input, options);
            if (skipper.Read())
            {
                skipper.Skip();
                skipper.Read();
            }
        }
        catch (BencodeException ex)
        {
            skipError = ex.Error;
        }
        catch (Exception ex)
        {
            Assert.Fail($"Skip threw {ex} for {Context()}");
        }

        if (skipError != error)
        {
            Assert.Fail($"Skip reported {skipError}, TryRead {error} for {Context()}");
        }

        if (error != BencodeError.None)
        {
            return false;
        }

        // What strict mode accepts is canonical: the writer reproduces it byte for byte.
        if (options.Strict)
        {
            BValue tree = BValueCodec.Parse(input, options);
            Assert.That(ReferenceEncoder.Encode(tree), Is.EqualTo(input), Context);
            byte[] rewritten = new byte[input.Length];
            var writer = new BencodeWriter(rewritten);
            BValueCodec.Write(ref writer, tree);
            Assert.That(rewritten, Is.EqualTo(input), Context);
        }

        return true;
    }

    private static byte[] RandomBytes(Random random, int length, byte[]? alphabet)
    {
        byte[] bytes = new byte[length];
        if (alphabet is null)
        {
            random.NextBytes(bytes);
            return bytes;
        }

        for (int i = 0; i < length; i++)
        {
            bytes[i] = alphabet[random.Next(alphabet.Length)];
        }

        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] source)
    {
        var bytes = new List<byte>(source);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = FuzzAlphabet[random.Next(FuzzAlphabet.Length)];
                    break;
                case 2:
                    bytes.Insert(at, FuzzAlphabet[random.Next(FuzzAlphabet.Length)]);
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(Math.Min(at, bytes.Count - 1));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5:
                    {
                        int length = random.Next(0, bytes.Count - at + 1);
                        bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                        break;
                    }

                case 6 when bytes.Count > 1:
                    {
                        int other = random.Next(bytes.Count);
                        at = Math.Min(at, bytes.Count - 1);
                        (bytes[at], bytes[other]) = (bytes[other], bytes[at]);
                        break;
                    }

                case 7 when bytes.Count > 0:
                    // Nudge a digit: changes lengths and integers by one, the classic off-by-one.
                    int digit = bytes.FindIndex(Math.Min(at, bytes.Count - 1), b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0)
                    {
                        bytes[digit] = (byte)('0' + ((bytes[digit] - '0' + (random.Next(2) == 0 ? 1 : 9)) % 10));
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    // ---- Helpers --------------------------------------------------------------------------------------------

    private static byte[] NestedLists(int depth) => Latin1(new string('l', depth) + new string('e', depth));

    private static byte[] NestedDictionaries(int depth) =>
        Latin1(string.Concat(Enumerable.Repeat("d1:a", depth)) + "i0e" + new string('e', depth));

    private static string Tokens(string input, BencodeReaderOptions options = default) => Tokens(Latin1(input), options);

    private static string Tokens(byte[] input, BencodeReaderOptions options = default)
    {
        var reader = new BencodeReader(input, options);
        var parts = new List<string>();
        while (reader.Read())
        {
            parts.Add(reader.TokenType switch
            {
                BencodeTokenType.Integer => "i:" + reader.IntegerValue.ToString(CultureInfo.InvariantCulture),
                BencodeTokenType.String => "s:" + Text(reader.ValueSpan),
                BencodeTokenType.Key => "k:" + Text(reader.ValueSpan),
                BencodeTokenType.StartList => "l",
                BencodeTokenType.StartDictionary => "d",
                BencodeTokenType.EndList => "/l",
                BencodeTokenType.EndDictionary => "/d",
                _ => throw new AssertionException($"Unexpected token {reader.TokenType}."),
            });
        }

        return string.Join(' ', parts);
    }

    private static void ReadToEnd(byte[] input, BencodeReaderOptions options)
    {
        var reader = new BencodeReader(input, options);
        while (reader.Read())
        {
        }
    }

    private static (BencodeError Error, int Offset) TryReadToEnd(byte[] input, BencodeReaderOptions options)
    {
        var reader = new BencodeReader(input, options);
        while (reader.TryRead())
        {
        }

        return (reader.Error, reader.ErrorOffset);
    }

    private static void AssertRejected(byte[] input, BencodeReaderOptions options, BencodeError error, int offset)
    {
        var reader = new BencodeReader(input, options);
        while (reader.TryRead())
        {
        }

        Assert.That((reader.Error, reader.ErrorOffset), Is.EqualTo((error, offset)), "TryRead");
        Assert.That(reader.TokenType, Is.EqualTo(BencodeTokenType.None));
        Assert.That(reader.TryRead(), Is.False, "the error is sticky");
        Assert.That((reader.Error, reader.ErrorOffset), Is.EqualTo((error, offset)));

        var ex = Assert.Throws<BencodeException>(() => ReadToEnd(input, options), "Read")!;
        Assert.That((ex.Error, ex.Offset), Is.EqualTo((error, offset)), "Read");
        Assert.That(ex.Message, Does.Contain($"byte {offset}:"));

        Assert.That(BencodeReader.IsValid(input, options, out BencodeError validError, out int validOffset), Is.False);
        Assert.That((validError, validOffset), Is.EqualTo((error, offset)), "IsValid");
    }
}
