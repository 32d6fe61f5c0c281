using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Protocol.KrpcCodecBep5Tests;
using static MainlineDht.Tests.Protocol.KrpcVectors;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// The extensions' fields (BEP 32, 33, 42, 43, 44, 51) in hand-written datagrams: decoded to the
/// expected values and re-encoded byte for byte.
/// </summary>
[TestFixture]
public sealed class KrpcCodecExtensionTests
{
    private static readonly NodeId A = new(Latin1(IdA));
    private static readonly NodeId M = new(Latin1(IdM));
    private static readonly NodeId Zero9 = new(Latin1(Id0));

    [TestCaseSource(typeof(KrpcVectors), nameof(ExtensionNames))]
    public void Example_ReencodesByteForByte(string name) => AssertRoundTrip(Get(name));

    [Test]
    public void Bep42_Ip_IsTheRequesterAddress()
    {
        var response = DecodeAs<KrpcResponse>(PingResponseWithIp);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(response.ExternalAddress), Is.EqualTo(Peer42));
            Assert.That(response.GetExternalEndPoint(), Is.EqualTo(new IPEndPoint(IPAddress.Parse("124.31.75.21"), 6881)));
            Assert.That(response.Id, Is.EqualTo(M));
        }
    }

    [Test]
    public void Bep42_Ip6_IsTheRequesterAddress()
    {
        var response = DecodeAs<KrpcResponse>(PingResponseWithIp6);
        Assert.That(response.GetExternalEndPoint(), Is.EqualTo(new IPEndPoint(IPAddress.IPv6Loopback, 6881)));
    }

    [Test]
    public void Bep42_IpOfAnotherLength_IsKeptButNoEndPoint()
    {
        var response = DecodeAs<KrpcResponse>("d2:ip5:abcde1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.ExternalAddress.Length, Is.EqualTo(5));
            Assert.That(response.GetExternalEndPoint(), Is.Null);
        }
    }

    [Test]
    public void Bep42_Ip_IsWrittenOnAConstructedResponse()
    {
        var response = new KrpcResponse
        {
            TransactionId = Latin1("aa"),
            Id = M,
            ExternalAddress = CompactFormat.ToCompactPeer(new IPEndPoint(IPAddress.Parse("124.31.75.21"), 6881)),
        };
        Assert.That(Text(KrpcCodec.Encode(response)), Is.EqualTo(PingResponseWithIp));
    }

    [Test]
    public void Bep43_ReadOnly_AndVersion()
    {
        var ping = DecodeAs<PingQuery>(PingQueryReadOnly);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ping.ReadOnly, Is.True);
            Assert.That(Text(ping.Version), Is.EqualTo("LT\u0001\u0002"));
            Assert.That(ping.Id, Is.EqualTo(A));
        }
    }

    [Test]
    public void Bep43_ReadOnlyZero_IsNotReadOnly_AndIsNotWritten()
    {
        var ping = DecodeAs<PingQuery>("d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi0e1:t2:aa1:y1:qe");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ping.ReadOnly, Is.False);
            Assert.That(Text(KrpcCodec.Encode(ping)), Is.EqualTo(KrpcVectors.PingQuery));
        }
    }

    [TestCase(FindNodeQueryWant, WantFamilies.IPv4 | WantFamilies.IPv6)]
    [TestCase(FindNodeQueryWant6, WantFamilies.IPv6)]
    [TestCase(KrpcVectors.FindNodeQuery, WantFamilies.None)]
    public void Bep32_Want(string wire, WantFamilies want)
    {
        var query = DecodeAs<FindNodeQuery>(wire);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Want, Is.EqualTo(want));
            Assert.That(query.Target, Is.EqualTo(M));
        }
    }

    [Test]
    public void Bep32_WantWithUnknownEntries_KeepsTheKnownOnes()
    {
        var query = DecodeAs<FindNodeQuery>("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n52:n6i4e3:n44d1:xi1eeee1:q9:find_node1:t2:aa1:y1:qe");
        Assert.That(query.Want, Is.EqualTo(WantFamilies.IPv6));
    }

    [Test]
    public void Bep32_Nodes6()
    {
        var response = DecodeAs<KrpcResponse>(FindNodeResponseBoth);
        List<NodeInfo> nodes = CompactFormat.ReadNodes(response.Nodes.Span, AddressFamily.InterNetwork);
        List<NodeInfo> nodes6 = CompactFormat.ReadNodes(response.Nodes6.Span, AddressFamily.InterNetworkV6);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Id, Is.EqualTo(Zero9));
            Assert.That(nodes, Is.EqualTo(new[] { new NodeInfo(Zero9, new IPEndPoint(IPAddress.Loopback, 6881)) }));
            Assert.That(nodes6, Is.EqualTo(new[] { new NodeInfo(M, new IPEndPoint(IPAddress.IPv6Loopback, 6881)) }));
        }
    }

    [Test]
    public void Bep33_ScrapeAndNoSeed()
    {
        var query = DecodeAs<GetPeersQuery>(GetPeersQueryScrape);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Scrape, Is.True);
            Assert.That(query.NoSeed, Is.True);
            Assert.That(query.Want, Is.EqualTo(WantFamilies.IPv4));
            Assert.That(query.InfoHash, Is.EqualTo(M));
        }
    }

    [Test]
    public void Bep33_Seed()
    {
        var query = DecodeAs<AnnouncePeerQuery>(AnnouncePeerQuerySeed);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Seed, Is.True);
            Assert.That(query.ImpliedPort, Is.False);
            Assert.That(query.Port, Is.EqualTo(6881));
            Assert.That(Text(query.Token), Is.EqualTo("aoeusnth"));
        }
    }

    [Test]
    public void Bep33_BloomFilters()
    {
        var response = DecodeAs<KrpcResponse>(GetPeersScrapeResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.SeedsFilter.Length, Is.EqualTo(256));
            Assert.That(response.PeersFilter.Length, Is.EqualTo(256));
            Assert.That(Text(response.SeedsFilter), Is.EqualTo(Bloom256));
            Assert.That(Text(response.PeersFilter), Is.EqualTo(Bloom256));
            Assert.That(Text(response.Token), Is.EqualTo("aoeusnth"));
        }
    }

    [Test]
    public void Bep33_AnnounceWithImpliedPortAndNoPort_KeepsPortZero()
    {
        const string wire = "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234565:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
        var query = (AnnouncePeerQuery)AssertRoundTrip(wire);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.ImpliedPort, Is.True);
            Assert.That(query.Port, Is.Zero);
        }
    }

    [Test]
    public void Bep44_GetImmutable()
    {
        var query = DecodeAs<GetQuery>(GetQueryImmutable);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.Get));
            Assert.That(query.Target, Is.EqualTo(M));
            Assert.That(query.Sequence, Is.Null);
        }
    }

    [Test]
    public void Bep44_GetMutable()
    {
        var query = DecodeAs<GetQuery>(GetQueryMutable);
        Assert.That(query.Sequence, Is.EqualTo(4));
    }

    [Test]
    public void Bep44_PutImmutable()
    {
        var put = DecodeAs<PutQuery>(PutQueryImmutable);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(put.Method, Is.EqualTo(KrpcMethod.Put));
            Assert.That(put.IsMutable, Is.False);
            Assert.That(Text(put.Value), Is.EqualTo("12:Hello World!"));
            Assert.That(Text(put.Token), Is.EqualTo("aoeusnth"));
            Assert.That(put.PublicKey.IsEmpty, Is.True);
            Assert.That(put.Signature.IsEmpty, Is.True);
            Assert.That(put.Salt.IsEmpty, Is.True);
            Assert.That(put.Sequence, Is.Null);
            Assert.That(put.CompareAndSwap, Is.Null);
        }
    }

    [Test]
    public void Bep44_PutMutable()
    {
        var put = DecodeAs<PutQuery>(PutQueryMutable);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(put.IsMutable, Is.True);
            Assert.That(Text(put.Value), Is.EqualTo("d1:ai1e1:bl3:abci-7eee"), "v is kept as raw bencode");
            Assert.That(Text(put.PublicKey), Is.EqualTo(Key32));
            Assert.That(Text(put.Signature), Is.EqualTo(Sig64));
            Assert.That(Text(put.Salt), Is.EqualTo("foobar"));
            Assert.That(put.Sequence, Is.EqualTo(4));
            Assert.That(put.CompareAndSwap, Is.EqualTo(3));
        }
    }

    [Test]
    public void Bep44_PutMutable_EncodesFromConstructedMessage()
    {
        var put = new PutQuery
        {
            TransactionId = Latin1("aa"),
            Id = A,
            Token = Latin1("aoeusnth"),
            Value = Latin1("d1:ai1e1:bl3:abci-7eee"),
            PublicKey = Latin1(Key32),
            Signature = Latin1(Sig64),
            Salt = Latin1("foobar"),
            Sequence = 4,
            CompareAndSwap = 3,
        };
        Assert.That(Text(KrpcCodec.Encode(put)), Is.EqualTo(PutQueryMutable));
    }

    [Test]
    public void Bep44_GetResponseImmutable()
    {
        var response = DecodeAs<KrpcResponse>(GetResponseImmutable);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(response.Value), Is.EqualTo("12:Hello World!"));
            Assert.That(response.Nodes.Length, Is.EqualTo(26));
            Assert.That(response.PublicKey.IsEmpty, Is.True);
            Assert.That(response.Sequence, Is.Null);
            Assert.That(response.Version.IsEmpty, Is.True, "the 'v' inside 'r' is the item, not the client version");
        }
    }

    [Test]
    public void Bep44_GetResponseMutable()
    {
        var response = DecodeAs<KrpcResponse>(GetResponseMutable);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(response.Value), Is.EqualTo("l1:xi42ee"));
            Assert.That(Text(response.PublicKey), Is.EqualTo(Key32));
            Assert.That(Text(response.Signature), Is.EqualTo(Sig64));
            Assert.That(response.Sequence, Is.EqualTo(4));
            Assert.That(Text(response.Token), Is.EqualTo("aoeusnth"));
        }
    }

    [Test]
    public void Bep44_ErrorCode()
    {
        var error = DecodeAs<KrpcError>(ErrorSaltTooBig);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Code, Is.EqualTo((int)KrpcErrorCode.SaltTooBig));
            Assert.That(error.MessageText, Is.EqualTo("salt too big"));
            Assert.That(error.TransactionId.ToArray(), Is.EqualTo(new byte[] { 0, 1, 0xfe, 0xff }));
        }
    }

    [Test]
    public void Bep51_SampleInfohashesQuery()
    {
        var query = DecodeAs<SampleInfohashesQuery>(KrpcVectors.SampleInfohashesQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.SampleInfohashes));
            Assert.That(query.Id, Is.EqualTo(A));
            Assert.That(query.Target, Is.EqualTo(M));
        }
    }

    [Test]
    public void Bep51_SampleInfohashesResponse()
    {
        var response = DecodeAs<KrpcResponse>(SampleInfohashesResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Id, Is.EqualTo(Zero9));
            Assert.That(response.Interval, Is.EqualTo(21600));
            Assert.That(response.Num, Is.EqualTo(1234));
            Assert.That(Text(response.Samples), Is.EqualTo(IdA + IdM));
            Assert.That(new NodeId(response.Samples.Span[20..40]), Is.EqualTo(M));
            Assert.That(CompactFormat.ReadNodes(response.Nodes.Span, AddressFamily.InterNetwork), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void UnknownMethod_WithTarget_IsKeptForForwardCompatibility()
    {
        var query = DecodeAs<UnknownQuery>(UnknownQueryWithTarget);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.Unknown));
            Assert.That(Text(query.MethodName), Is.EqualTo("vote_node"));
            Assert.That(query.Target, Is.EqualTo(M));
            Assert.That(query.InfoHash, Is.Null);
        }
    }

    [Test]
    public void UnknownMethod_WithoutTarget_DecodesWithNoTarget()
    {
        var query = DecodeAs<UnknownQuery>("d1:ad2:id20:abcdefghij01234567891:xi1ee1:q3:foo1:t2:aa1:y1:qe");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Target, Is.Null);
            Assert.That(query.InfoHash, Is.Null);
        }
    }

    [Test]
    public void UnknownKeys_AreIgnored_AtEveryLevel()
    {
        const string wire = "d1:ad2:id20:abcdefghij01234567895:extrald1:xleee6:target20:mnopqrstuvwxyz123456e3:fooi7e1:q9:find_node1:t2:aa1:y1:q1:zd1:ai1eee";
        var query = DecodeAs<FindNodeQuery>(wire);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Target, Is.EqualTo(M));
            Assert.That(Text(KrpcCodec.Encode(query)), Is.EqualTo(KrpcVectors.FindNodeQuery));
        }
    }

    [Test]
    public void UnsortedKeys_AreAccepted_AndWrittenSorted()
    {
        const string wire = "d1:y1:q1:t2:aa1:q9:find_node1:ad6:target20:mnopqrstuvwxyz1234562:id20:abcdefghij0123456789ee";
        var query = DecodeAs<FindNodeQuery>(wire);
        Assert.That(Text(KrpcCodec.Encode(query)), Is.EqualTo(KrpcVectors.FindNodeQuery));
    }
}

/// <summary>
/// <see cref="KrpcQuery.Padding"/>: <c>pad</c> zero bytes in the arguments, in sorted key order,
/// which a decoder skips like any unknown key.
/// </summary>
[TestFixture]
public sealed class KrpcQueryPaddingTests
{
    private static readonly NodeId A = new(Latin1(KrpcVectors.IdA));
    private static readonly NodeId M = new(Latin1(KrpcVectors.IdM));

    public static IEnumerable<TestCaseData> Padded()
    {
        yield return new TestCaseData(
            new PingQuery { Id = A, Padding = 3, TransactionId = Latin1("aa") },
            $"d1:ad2:id20:{KrpcVectors.IdA}3:pad3:\0\0\0e1:q4:ping1:t2:aa1:y1:qe").SetName("ping");
        yield return new TestCaseData(
            new GetPeersQuery { Id = A, InfoHash = M, NoSeed = true, Scrape = true, Padding = 2, TransactionId = Latin1("aa") },
            $"d1:ad2:id20:{KrpcVectors.IdA}9:info_hash20:{KrpcVectors.IdM}6:noseedi1e3:pad2:\0\06:scrapei1ee1:q9:get_peers1:t2:aa1:y1:qe").SetName("get_peers with noseed and scrape");
        yield return new TestCaseData(
            new SampleInfohashesQuery { Id = A, Target = M, Padding = 1, TransactionId = Latin1("aa") },
            $"d1:ad2:id20:{KrpcVectors.IdA}3:pad1:\06:target20:{KrpcVectors.IdM}e1:q17:sample_infohashes1:t2:aa1:y1:qe").SetName("sample_infohashes");
        yield return new TestCaseData(
            new GetQuery { Id = A, Target = M, Sequence = 4, Padding = 1, TransactionId = Latin1("aa") },
            $"d1:ad2:id20:{KrpcVectors.IdA}3:pad1:\03:seqi4e6:target20:{KrpcVectors.IdM}e1:q3:get1:t2:aa1:y1:qe").SetName("get with seq");
    }

    [TestCaseSource(nameof(Padded))]
    public void Padding_is_written_in_key_order_and_skipped_when_read(KrpcQuery query, string expected)
    {
        byte[] encoded = KrpcCodec.Encode(query);

        Assert.That(Text(encoded), Is.EqualTo(expected));
        var decoded = (KrpcQuery)KrpcCodec.Decode(encoded);
        Assert.That(decoded.GetType(), Is.EqualTo(query.GetType()));
        Assert.That(KrpcCodec.Encode(decoded).Length, Is.EqualTo(encoded.Length - (5 + 2 + query.Padding)), "read back without the pad");
    }

    [Test]
    public void Padding_is_bounded()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new PingQuery { Padding = KrpcQuery.MaxPadding + 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new PingQuery { Padding = -1 });
    }
}
