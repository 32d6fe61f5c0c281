using MainlineDht.Protocol;
using static MainlineDht.Tests.Protocol.KrpcVectors;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// Untrusted input: truncations of every valid example, hand-made garbage, and a mutation fuzz.
/// <see cref="KrpcCodec.TryDecode"/> never throws; only a well-formed query (<c>y</c> = <c>q</c>
/// with <c>t</c>) earns an error reply, echoing its transaction id; anything else is dropped.
/// </summary>
[TestFixture]
public sealed class KrpcCodecMalformedTests
{
    private const string Id19 = "abcdefghij012345678";
    private const string Id21 = "abcdefghij0123456789X";

    [TestCaseSource(typeof(KrpcVectors), nameof(AllNames))]
    public void EveryTruncation_IsRejected_WithReasonAndOffset(string name)
    {
        byte[] wire = Latin1(Get(name));
        for (int n = 0; n < wire.Length; n++)
        {
            byte[] truncated = wire[..n];
            bool ok = KrpcCodec.TryDecode(truncated, out KrpcMessage? message, out KrpcDecodeError error);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(ok, Is.False, $"{n} of {wire.Length} bytes");
                Assert.That(message, Is.Null);
                Assert.That(error.Reason, Is.Not.Empty);
                Assert.That(error.Offset, Is.InRange(0, n), $"{n} of {wire.Length} bytes: {error}");
                Assert.That(error.ReplyCode, Is.Null, "a truncated datagram is not a well-formed query: dropped");
            }

            KrpcFormatException? thrown = Assert.Throws<KrpcFormatException>(() => KrpcCodec.Decode(truncated));
            Assert.That(thrown!.Error, Is.EqualTo(error));
        }
    }

    private static IEnumerable<TestCaseData> Dropped()
    {
        static TestCaseData Case(string name, string wire) => new TestCaseData(wire).SetArgDisplayNames(name);

        yield return Case("empty", "");
        yield return Case("not bencode", "hello world");
        yield return Case("a list", "l1:t2:aae");
        yield return Case("an integer", "i42e");
        yield return Case("a string", "4:spam");
        yield return Case("a lone d", "d");
        yield return Case("empty dictionary", "de");
        yield return Case("no t", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe");
        yield return Case("t is an integer", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:ti7e1:y1:qe");
        yield return Case("no y", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aae");
        yield return Case("y is an integer", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:yi1ee");
        yield return Case("unknown y", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:xe");
        yield return Case("y of two letters", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y2:qqe");
        yield return Case("response without r", "d1:t2:aa1:y1:re");
        yield return Case("response r not a dictionary", "d1:rl2:idi1ee1:t2:aa1:y1:re");
        yield return Case("response without id", "d1:rd5:token8:aoeusnthe1:t2:aa1:y1:re");
        yield return Case("response id of 19 bytes", "d1:rd2:id19:" + Id19 + "e1:t2:aa1:y1:re");
        yield return Case("response id of 21 bytes", "d1:rd2:id21:" + Id21 + "e1:t2:aa1:y1:re");
        yield return Case("response id an integer", "d1:rd2:idi5ee1:t2:aa1:y1:re");
        yield return Case("response values holding an integer", "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.ui7eee1:t2:aa1:y1:re");
        yield return Case("response values not a list", "d1:rd2:id20:abcdefghij01234567896:values6:axje.ue1:t2:aa1:y1:re");
        yield return Case("response nodes an integer", "d1:rd2:id20:abcdefghij01234567895:nodesi0ee1:t2:aa1:y1:re");
        yield return Case("response num a string", "d1:rd2:id20:abcdefghij01234567893:num1:5e1:t2:aa1:y1:re");
        yield return Case("error without e", "d1:t2:aa1:y1:ee");
        yield return Case("error e not a list", "d1:e3:bad1:t2:aa1:y1:ee");
        yield return Case("error e empty", "d1:ele1:t2:aa1:y1:ee");
        yield return Case("error code a string", "d1:el3:2013:bade1:t2:aa1:y1:ee");
        yield return Case("error code beyond 32 bits", "d1:eli4294967297e3:bade1:t2:aa1:y1:ee");
        yield return Case("leading zero in an integer", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti06881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe");
        yield return Case("leading zero in a length", "d1:ad2:id020:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("negative zero", "d1:ad2:id20:abcdefghij01234567892:xxi-0ee1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("integer overflow", "d1:ad2:id20:abcdefghij01234567892:xxi99999999999999999999ee1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("trailing bytes after the dictionary", KrpcVectors.PingQuery + "x");
        yield return Case("two messages", KrpcVectors.PingQuery + KrpcVectors.PingQuery);
        yield return Case("key not a string", "d1:ad2:id20:abcdefghij0123456789ei1ei2e1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("key without value", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:q1:ze");
        yield return Case("string past the end", "d1:ad2:id99:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("stray e", "d1:ad2:id20:abcdefghij0123456789ee1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("nesting too deep", "d1:ad2:id20:abcdefghij01234567891:x" + new string('l', 40) + new string('e', 40) + "e1:q4:ping1:t2:aa1:y1:qe");
        yield return Case("nesting too deep at top level", "d1:x" + new string('l', 20) + new string('e', 20) + "1:t2:aa1:y1:qe");
        yield return Case("error nesting too deep", "d1:eli201e5:oops!" + new string('l', 30) + new string('e', 30) + "e1:t2:aa1:y1:ee");
    }

    [TestCaseSource(nameof(Dropped))]
    public void Garbage_IsDropped(string wire)
    {
        byte[] bytes = Latin1(wire);
        bool ok = KrpcCodec.TryDecode(bytes, out KrpcMessage? message, out KrpcDecodeError error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.False, () => $"decoded as {message?.GetType().Name}");
            Assert.That(message, Is.Null);
            Assert.That(error.Reason, Is.Not.Empty);
            Assert.That(error.Offset, Is.InRange(0, bytes.Length));
            Assert.That(error.ReplyCode, Is.Null, () => error.ToString());
            Assert.That(error.ShouldReply, Is.False);
        }
    }

    private static IEnumerable<TestCaseData> Answered()
    {
        static TestCaseData Case(string name, string wire, KrpcErrorCode code) =>
            new TestCaseData(wire, code).SetArgDisplayNames(name);

        const KrpcErrorCode P = KrpcErrorCode.Protocol;
        const string Tail = "1:t2:xy1:y1:qe";
        yield return Case("query without q", "d1:ad2:id20:abcdefghij0123456789e" + Tail, P);
        yield return Case("query q an integer", "d1:ad2:id20:abcdefghij0123456789e1:qi4e" + Tail, P);
        yield return Case("query without a", "d1:q4:ping" + Tail, P);
        yield return Case("query a not a dictionary", "d1:ai1e1:q4:ping" + Tail, P);
        yield return Case("query a a list", "d1:al2:idi1ee1:q4:ping" + Tail, P);
        yield return Case("query without id", "d1:ade1:q4:ping" + Tail, P);
        yield return Case("query id of 19 bytes", "d1:ad2:id19:" + Id19 + "e1:q4:ping" + Tail, P);
        yield return Case("query id of 21 bytes", "d1:ad2:id21:" + Id21 + "e1:q4:ping" + Tail, P);
        yield return Case("query id an integer", "d1:ad2:idi1ee1:q4:ping" + Tail, P);
        yield return Case("find_node without target", "d1:ad2:id20:abcdefghij0123456789e1:q9:find_node" + Tail, P);
        yield return Case("find_node target of 19 bytes", "d1:ad2:id20:abcdefghij01234567896:target19:" + Id19 + "e1:q9:find_node" + Tail, P);
        yield return Case("find_node want not a list", "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:want2:n4e1:q9:find_node" + Tail, P);
        yield return Case("get_peers without info_hash", "d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers" + Tail, P);
        yield return Case("get_peers info_hash of 19 bytes", "d1:ad2:id20:abcdefghij01234567899:info_hash19:" + Id19 + "e1:q9:get_peers" + Tail, P);
        yield return Case("get_peers info_hash an integer", "d1:ad2:id20:abcdefghij01234567899:info_hashi1ee1:q9:get_peers" + Tail, P);
        yield return Case("announce without token", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881ee1:q13:announce_peer" + Tail, P);
        yield return Case("announce without info_hash", "d1:ad2:id20:abcdefghij01234567894:porti6881e5:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce port 0", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce port 70000", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce port -1", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti-1e5:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce port 70000 with implied_port", "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce without port", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234565:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce port a string", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:port4:68815:token8:aoeusnthe1:q13:announce_peer" + Tail, P);
        yield return Case("announce token an integer", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:tokeni1ee1:q13:announce_peer" + Tail, P);
        yield return Case("get without target", "d1:ad2:id20:abcdefghij0123456789e1:q3:get" + Tail, P);
        yield return Case("get seq a string", "d1:ad2:id20:abcdefghij01234567893:seq1:16:target20:mnopqrstuvwxyz123456e1:q3:get" + Tail, P);
        yield return Case("sample_infohashes without target", "d1:ad2:id20:abcdefghij0123456789e1:q17:sample_infohashes" + Tail, P);
        yield return Case("put without token", "d1:ad2:id20:abcdefghij01234567891:v12:Hello World!e1:q3:put" + Tail, P);
        yield return Case("put without v", "d1:ad2:id20:abcdefghij01234567895:token8:aoeusnthe1:q3:put" + Tail, P);
        yield return Case("put mutable with short k", "d1:ad2:id20:abcdefghij01234567891:k3:abc3:seqi1e3:sig64:" + Sig64 + "5:token8:aoeusnth1:v1:xe1:q3:put" + Tail, P);
        yield return Case("put mutable without seq", "d1:ad2:id20:abcdefghij01234567891:k32:" + Key32 + "3:sig64:" + Sig64 + "5:token8:aoeusnth1:v1:xe1:q3:put" + Tail, P);
        yield return Case("put mutable without sig", "d1:ad2:id20:abcdefghij01234567891:k32:" + Key32 + "3:seqi1e5:token8:aoeusnth1:v1:xe1:q3:put" + Tail, P);
        yield return Case("put v over 1000 bytes", "d1:ad2:id20:abcdefghij01234567895:token8:aoeusnth1:v1000:" + new string('x', 1000) + "e1:q3:put" + Tail, KrpcErrorCode.MessageTooBig);
        yield return Case("put salt over 64 bytes", "d1:ad2:id20:abcdefghij01234567891:k32:" + Key32 + "4:salt65:" + new string('s', 65) + "3:seqi1e3:sig64:" + Sig64 + "5:token8:aoeusnth1:v1:xe1:q3:put" + Tail, KrpcErrorCode.SaltTooBig);
        yield return Case("unknown method without id", "d1:ad6:target20:mnopqrstuvwxyz123456e1:q3:foo" + Tail, P);
        yield return Case("query with want holding garbage type", "d1:ad2:id20:abcdefghij01234567894:wanti4ee1:q4:ping" + Tail, P);
        yield return Case("query with values holding an integer", "d1:ad2:id20:abcdefghij01234567896:valuesli1eee1:q4:ping" + Tail, P);
    }

    [TestCaseSource(nameof(Answered))]
    public void MalformedQuery_IsAnswered_EchoingTheTransactionId(string wire, KrpcErrorCode code)
    {
        byte[] bytes = Latin1(wire);
        bool ok = KrpcCodec.TryDecode(bytes, out KrpcMessage? message, out KrpcDecodeError error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.False, () => $"decoded as {message?.GetType().Name}");
            Assert.That(message, Is.Null);
            Assert.That(error.Reason, Is.Not.Empty);
            Assert.That(error.Offset, Is.InRange(0, bytes.Length));
            Assert.That(error.ReplyCode, Is.EqualTo(code), () => error.ToString());
            Assert.That(error.ShouldReply, Is.True);
            Assert.That(Text(error.TransactionId), Is.EqualTo("xy"));
        }

        // The reply the node would send is a valid KRPC error for the same transaction.
        byte[] reply = new byte[256];
        Assert.That(KrpcCodec.TryEncodeError(error.TransactionId.Span, error.ReplyCode!.Value, "bad"u8, default, reply, out int written), Is.True);
        var decoded = (KrpcError)KrpcCodec.Decode(reply.AsMemory(0, written).ToArray());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(decoded.Code, Is.EqualTo((int)code));
            Assert.That(Text(decoded.TransactionId), Is.EqualTo("xy"));
        }
    }

    [Test]
    public void PutValueOfExactly1000Bytes_IsAccepted()
    {
        // 4:... makes "996:" + 996 bytes = 1000 bytes of bencoded value.
        string wire = "d1:ad2:id20:abcdefghij01234567895:token8:aoeusnth1:v996:" + new string('x', 996) + "e1:q3:put1:t2:xy1:y1:qe";
        var put = (PutQuery)KrpcCodec.Decode(Latin1(wire));
        Assert.That(put.Value.Length, Is.EqualTo(PutQuery.MaxValueSize));
    }

    [Test]
    public void PutSaltOfExactly64Bytes_IsAccepted()
    {
        string wire = "d1:ad2:id20:abcdefghij01234567891:k32:" + Key32 + "4:salt64:" + new string('s', 64) + "3:seqi1e3:sig64:" + Sig64 + "5:token8:aoeusnth1:v1:xe1:q3:put1:t2:xy1:y1:qe";
        var put = (PutQuery)KrpcCodec.Decode(Latin1(wire));
        Assert.That(put.Salt.Length, Is.EqualTo(PutQuery.MaxSaltSize));
    }

    [TestCase(0, true)]
    [TestCase(1, true)]
    [TestCase(65535, true)]
    [TestCase(65536, false)]
    public void AnnouncePortWithImpliedPort(int port, bool accepted)
    {
        string wire = $"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti{port}e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
        bool ok = KrpcCodec.TryDecode(Latin1(wire), out KrpcMessage? message, out _);
        Assert.That(ok, Is.EqualTo(accepted));
        if (accepted)
        {
            Assert.That(((AnnouncePeerQuery)message!).Port, Is.EqualTo(port));
        }
    }

    // The reader allows 16 open containers: the message itself is one, 'a' a second, a list in
    // 'a' a third. Nesting up to the limit decodes wherever it is; one level more is dropped.
    [TestCase("top level", 15)]
    [TestCase("in a", 14)]
    [TestCase("in want", 13)]
    [TestCase("in values", 13)]
    [TestCase("in e", 14)]
    [TestCase("in v", 14)]
    public void Nesting_UpToTheLimit_Decodes_OneMoreIsDropped(string where, int deepest)
    {
        foreach (int lists in new[] { deepest, deepest + 1 })
        {
            string nested = new string('l', lists) + new string('e', lists);
            string wire = where switch
            {
                "top level" => "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:x" + nested + "1:y1:qe",
                "in a" => "d1:ad2:id20:abcdefghij01234567891:x" + nested + "e1:q4:ping1:t2:aa1:y1:qe",
                "in want" => "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n4" + nested + "ee1:q9:find_node1:t2:aa1:y1:qe",
                "in values" => "d1:rd2:id20:abcdefghij01234567896:valuesl6:axje.u" + nested + "ee1:t2:aa1:y1:re",
                "in e" => "d1:eli201e1:x" + nested + "e1:t2:aa1:y1:ee",
                _ => "d1:ad2:id20:abcdefghij01234567895:token8:aoeusnth1:v" + nested + "e1:q3:put1:t2:aa1:y1:qe",
            };

            bool ok = KrpcCodec.TryDecode(Latin1(wire), out _, out KrpcDecodeError error);
            if (lists == deepest && where == "in values")
            {
                Assert.That(error.Reason, Is.EqualTo("'values' must hold strings"), "well-formed, but not a list of strings");
            }
            else if (lists == deepest)
            {
                Assert.That(ok, Is.True, $"{lists} lists {where}: {error}");
            }
            else
            {
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(ok, Is.False, $"{lists} lists {where}");
                    Assert.That(error.Reason, Is.EqualTo(BencodeDepthReason));
                    Assert.That(error.ReplyCode, Is.Null);
                    Assert.That(error.Offset, Is.EqualTo(wire.IndexOf(nested, StringComparison.Ordinal) + deepest), "the first list too many");
                }
            }
        }
    }

    private static readonly string BencodeDepthReason = MainlineDht.Bencode.BencodeException.Describe(MainlineDht.Bencode.BencodeError.DepthExceeded);

    [TestCase("i9223372036854775807e", true, long.MaxValue)]
    [TestCase("i-9223372036854775808e", true, long.MinValue)]
    [TestCase("i9223372036854775808e", false, 0L)]
    [TestCase("i-9223372036854775809e", false, 0L)]
    [TestCase("i123456789012345678e", true, 123456789012345678L)]
    [TestCase("i00e", false, 0L)]
    [TestCase("i-0e", false, 0L)]
    [TestCase("ie", false, 0L)]
    public void IntegerLimits(string integer, bool accepted, long value)
    {
        string wire = "d1:rd2:id20:abcdefghij01234567893:seq" + integer + "e1:t2:aa1:y1:re";
        bool ok = KrpcCodec.TryDecode(Latin1(wire), out KrpcMessage? message, out KrpcDecodeError error);
        Assert.That(ok, Is.EqualTo(accepted), error.ToString());
        if (accepted)
        {
            Assert.That(((KrpcResponse)message!).Sequence, Is.EqualTo(value));
        }
        else
        {
            Assert.That(error.Offset, Is.InRange(wire.IndexOf(integer, StringComparison.Ordinal), wire.IndexOf(integer, StringComparison.Ordinal) + integer.Length));
        }
    }

    [TestCase("6:abcdef", true)]
    [TestCase("06:abcdef", false)]
    [TestCase("6abcdef", false)]
    [TestCase("6:abcd", false)]
    [TestCase("18:abcdefghijklmnopqr", true)]
    [TestCase("0:", true)]
    public void ValuesEntries(string entry, bool accepted)
    {
        string wire = "d1:rd2:id20:abcdefghij01234567896:valuesl6:axje.u" + entry + "ee1:t2:aa1:y1:re";
        bool ok = KrpcCodec.TryDecode(Latin1(wire), out KrpcMessage? message, out _);
        Assert.That(ok, Is.EqualTo(accepted));
        if (accepted)
        {
            Assert.That(((KrpcResponse)message!).Values.Count, Is.EqualTo(2));
        }
    }

    [Test]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(99);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (random.Next(2) == 0 && bytes.Length > 0)
            {
                bytes[0] = (byte)'d';
            }

            AssertNeverThrows(bytes);
        }
    }

    [Test]
    public void Fuzz_MutationsOfTheValidCorpus()
    {
        byte[][] corpus = [.. All.Select(p => Latin1(p.Value))];
        var random = new Random(5_000_050);
        int decoded = 0;
        for (int i = 0; i < 50_000; i++)
        {
            byte[] mutated = Mutate(corpus[random.Next(corpus.Length)], random);
            if (AssertNeverThrows(mutated))
            {
                decoded++;
            }
        }

        // Many mutations land inside string contents and still decode: those must round-trip.
        Assert.That(decoded, Is.GreaterThan(1000));
    }

    /// <summary>
    /// TryDecode never throws; Decode throws only <see cref="KrpcFormatException"/>; whatever does
    /// decode re-encodes canonically to something that decodes to an equal message.
    /// </summary>
    private static bool AssertNeverThrows(byte[] bytes)
    {
        bool ok;
        KrpcMessage? message;
        KrpcDecodeError error;
        try
        {
            ok = KrpcCodec.TryDecode(bytes, out message, out error);
        }
        catch (Exception e)
        {
            Assert.Fail($"TryDecode threw {e.GetType().Name} for {Text(bytes)}: {e}");
            throw;
        }

        if (!ok)
        {
            Assert.That(error.Reason, Is.Not.Empty);
            Assert.That(error.Offset, Is.InRange(0, bytes.Length), () => $"{error} for {Text(bytes)}");
            try
            {
                KrpcCodec.Decode(bytes);
                Assert.Fail("Decode accepted what TryDecode refused");
            }
            catch (KrpcFormatException e)
            {
                Assert.That(e.Error, Is.EqualTo(error));
            }

            return false;
        }

        Assert.That(KrpcCodec.Decode(bytes), Is.EqualTo(message));
        byte[] reencoded = KrpcCodec.Encode(message!);
        KrpcMessage again = KrpcCodec.Decode(reencoded);
        Assert.That(again, Is.EqualTo(message), () => $"{Text(bytes)} re-encoded as {Text(reencoded)}");
        Assert.That(KrpcCodec.Encode(again), Is.EqualTo(reencoded));
        return true;
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        for (int m = random.Next(1, 4); m > 0; m--)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0: // bit flip
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;

                case 1: // insert a byte, often a bencode token
                    bytes.Insert(random.Next(bytes.Count + 1), random.Next(2) == 0 ? (byte)random.Next(256) : "deil0123456789:-"u8[random.Next(16)]);
                    break;

                case 2 when bytes.Count > 0: // delete a run
                    int start = random.Next(bytes.Count);
                    bytes.RemoveRange(start, Math.Min(bytes.Count - start, random.Next(1, 4)));
                    break;

                case 3: // truncate
                    bytes = bytes.GetRange(0, random.Next(bytes.Count + 1));
                    break;

                default: // overwrite a byte with a digit, shifting lengths and integers
                    if (bytes.Count > 0)
                    {
                        bytes[random.Next(bytes.Count)] = (byte)('0' + random.Next(10));
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
