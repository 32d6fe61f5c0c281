using System.Net;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Protocol.KrpcVectors;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>The example packets of BEP 5, decoded to typed messages and re-encoded byte for byte.</summary>
[TestFixture]
public sealed class KrpcCodecBep5Tests
{
    private static readonly NodeId A = new(Latin1(IdA));
    private static readonly NodeId M = new(Latin1(IdM));
    private static readonly NodeId Zero9 = new(Latin1(Id0));

    [Test]
    public void PingQuery_Decodes()
    {
        var ping = DecodeAs<PingQuery>(KrpcVectors.PingQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(ping.TransactionId), Is.EqualTo("aa"));
            Assert.That(ping.Method, Is.EqualTo(KrpcMethod.Ping));
            Assert.That(ping.Id, Is.EqualTo(A));
            Assert.That(ping.ReadOnly, Is.False);
            Assert.That(ping.Version.IsEmpty, Is.True);
            Assert.That(ping.ExternalAddress.IsEmpty, Is.True);
        }
    }

    [Test]
    public void PingResponse_Decodes()
    {
        var response = DecodeAs<KrpcResponse>(KrpcVectors.PingResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(response.TransactionId), Is.EqualTo("aa"));
            Assert.That(response.Id, Is.EqualTo(M));
            Assert.That(response.Nodes.IsEmpty, Is.True);
            Assert.That(response.Token.IsEmpty, Is.True);
            Assert.That(response.Values.IsEmpty, Is.True);
            Assert.That(response.Num, Is.Null);
            Assert.That(response.Sequence, Is.Null);
        }
    }

    [Test]
    public void FindNodeQuery_Decodes()
    {
        var query = DecodeAs<FindNodeQuery>(KrpcVectors.FindNodeQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(query.TransactionId), Is.EqualTo("aa"));
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.FindNode));
            Assert.That(query.Id, Is.EqualTo(A));
            Assert.That(query.Target, Is.EqualTo(M));
            Assert.That(query.Want, Is.EqualTo(WantFamilies.None));
        }
    }

    [Test]
    public void FindNodeResponse_Decodes()
    {
        var response = DecodeAs<KrpcResponse>(KrpcVectors.FindNodeResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Id, Is.EqualTo(Zero9));
            Assert.That(Text(response.Nodes), Is.EqualTo("def456..."));
            Assert.That(response.Token.IsEmpty, Is.True);
            Assert.That(response.Values.IsEmpty, Is.True);
        }
    }

    [Test]
    public void GetPeersQuery_Decodes()
    {
        var query = DecodeAs<GetPeersQuery>(KrpcVectors.GetPeersQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(query.TransactionId), Is.EqualTo("aa"));
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.GetPeers));
            Assert.That(query.Id, Is.EqualTo(A));
            Assert.That(query.InfoHash, Is.EqualTo(M));
            Assert.That(query.NoSeed, Is.False);
            Assert.That(query.Scrape, Is.False);
        }
    }

    [Test]
    public void GetPeersResponseWithValues_Decodes()
    {
        var response = DecodeAs<KrpcResponse>(GetPeersValuesResponse);
        var entries = new List<string>();
        foreach (ReadOnlySpan<byte> entry in response.Values)
        {
            entries.Add(Text(entry));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Id, Is.EqualTo(A));
            Assert.That(Text(response.Token), Is.EqualTo("aoeusnth"));
            Assert.That(response.Nodes.IsEmpty, Is.True);
            Assert.That(response.Values.Count, Is.EqualTo(2));
            Assert.That(entries, Is.EqualTo(new[] { "axje.u", "idhtnm" }));
            Assert.That(Text(response.Values.Encoded), Is.EqualTo("l6:axje.u6:idhtnme"));
            Assert.That(response.Values.ToEndPoints(), Is.EqualTo(new[]
            {
                new IPEndPoint(IPAddress.Parse("97.120.106.101"), ('.' << 8) | 'u'),
                new IPEndPoint(IPAddress.Parse("105.100.104.116"), ('n' << 8) | 'm'),
            }));
        }
    }

    [Test]
    public void GetPeersResponseWithNodes_Decodes()
    {
        var response = DecodeAs<KrpcResponse>(GetPeersNodesResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Id, Is.EqualTo(A));
            Assert.That(Text(response.Token), Is.EqualTo("aoeusnth"));
            Assert.That(Text(response.Nodes), Is.EqualTo("def456..."));
            Assert.That(response.Values.IsEmpty, Is.True);
            Assert.That(response.Values.Count, Is.Zero);
        }
    }

    [Test]
    public void AnnouncePeerQuery_Decodes()
    {
        var query = DecodeAs<AnnouncePeerQuery>(KrpcVectors.AnnouncePeerQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(query.TransactionId), Is.EqualTo("aa"));
            Assert.That(query.Method, Is.EqualTo(KrpcMethod.AnnouncePeer));
            Assert.That(query.Id, Is.EqualTo(A));
            Assert.That(query.InfoHash, Is.EqualTo(M));
            Assert.That(query.ImpliedPort, Is.True);
            Assert.That(query.Port, Is.EqualTo(6881));
            Assert.That(Text(query.Token), Is.EqualTo("aoeusnth"));
            Assert.That(query.Seed, Is.False);
        }
    }

    [Test]
    public void AnnouncePeerResponse_Decodes()
    {
        var response = DecodeAs<KrpcResponse>(KrpcVectors.AnnouncePeerResponse);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(response.TransactionId), Is.EqualTo("aa"));
            Assert.That(response.Id, Is.EqualTo(M));
        }
    }

    [Test]
    public void Error_Decodes()
    {
        var error = DecodeAs<KrpcError>(KrpcVectors.Error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(error.TransactionId), Is.EqualTo("aa"));
            Assert.That(error.Code, Is.EqualTo((int)KrpcErrorCode.Generic));
            Assert.That(error.MessageText, Is.EqualTo("A Generic Error Ocurred"));
        }
    }

    [TestCaseSource(typeof(KrpcVectors), nameof(Bep5Names))]
    public void Example_ReencodesByteForByte(string name) => AssertRoundTrip(Get(name));

    [TestCaseSource(typeof(KrpcVectors), nameof(Bep5Names))]
    public void Example_EncodesFromConstructedMessage(string name)
    {
        KrpcMessage expected = name switch
        {
            "ping query" => new PingQuery { TransactionId = Latin1("aa"), Id = A },
            "ping response" or "announce_peer response" => new KrpcResponse { TransactionId = Latin1("aa"), Id = M },
            "find_node query" => new FindNodeQuery { TransactionId = Latin1("aa"), Id = A, Target = M },
            "find_node response" => new KrpcResponse { TransactionId = Latin1("aa"), Id = Zero9, Nodes = Latin1("def456...") },
            "get_peers query" => new GetPeersQuery { TransactionId = Latin1("aa"), Id = A, InfoHash = M },
            "get_peers response with values" => new KrpcResponse
            {
                TransactionId = Latin1("aa"),
                Id = A,
                Token = Latin1("aoeusnth"),
                Values = CompactPeerList.Create(
                [
                    new IPEndPoint(IPAddress.Parse("97.120.106.101"), ('.' << 8) | 'u'),
                    new IPEndPoint(IPAddress.Parse("105.100.104.116"), ('n' << 8) | 'm'),
                ]),
            },
            "get_peers response with nodes" => new KrpcResponse { TransactionId = Latin1("aa"), Id = A, Nodes = Latin1("def456..."), Token = Latin1("aoeusnth") },
            "announce_peer query" => new AnnouncePeerQuery { TransactionId = Latin1("aa"), Id = A, InfoHash = M, ImpliedPort = true, Port = 6881, Token = Latin1("aoeusnth") },
            "error" => new KrpcError { TransactionId = Latin1("aa"), Code = 201, Message = Latin1("A Generic Error Ocurred") },
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(KrpcCodec.Encode(expected)), Is.EqualTo(Get(name)));
            Assert.That(KrpcCodec.Decode(Latin1(Get(name))), Is.EqualTo(expected));
        }
    }

    [Test]
    public void TryEncodeError_WritesTheBep5ErrorExample()
    {
        byte[] buffer = new byte[128];
        bool ok = KrpcCodec.TryEncodeError(Latin1("aa"), KrpcErrorCode.Generic, Latin1("A Generic Error Ocurred"), default, buffer, out int written);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.True);
            Assert.That(Text(buffer.AsMemory(0, written)), Is.EqualTo(KrpcVectors.Error));
        }
    }

    [Test]
    public void TryEncodeError_TooSmall_ReturnsFalse()
    {
        byte[] buffer = new byte[KrpcVectors.Error.Length - 1];
        bool ok = KrpcCodec.TryEncodeError(Latin1("aa"), KrpcErrorCode.Generic, Latin1("A Generic Error Ocurred"), default, buffer, out int written);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ok, Is.False);
            Assert.That(written, Is.Zero);
        }
    }

    [Test]
    public void TryEncodeError_WithVersion_PutsVBetweenTAndY()
    {
        byte[] buffer = new byte[128];
        Assert.That(KrpcCodec.TryEncodeError(Latin1("xy"), KrpcErrorCode.Protocol, Latin1("bad"), Latin1("MD\u0000\u0001"), buffer, out int written), Is.True);
        Assert.That(Text(buffer.AsMemory(0, written)), Is.EqualTo("d1:eli203e3:bade1:t2:xy1:v4:MD\u0000\u00011:y1:ee"));
    }

    internal static T DecodeAs<T>(string wire)
        where T : KrpcMessage
    {
        bool ok = KrpcCodec.TryDecode(Latin1(wire), out KrpcMessage? message, out KrpcDecodeError error);
        Assert.That(ok, Is.True, () => $"decode failed: {error}");
        Assert.That(message, Is.TypeOf<T>());
        return (T)message!;
    }

    /// <summary>Decodes, re-encodes and compares bytes; returns the decoded message.</summary>
    internal static KrpcMessage AssertRoundTrip(string wire)
    {
        byte[] bytes = Latin1(wire);
        KrpcMessage message = KrpcCodec.Decode(bytes);
        byte[] buffer = new byte[bytes.Length + 64];
        Assert.That(KrpcCodec.TryEncode(message, buffer, out int written), Is.True);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(buffer.AsMemory(0, written)), Is.EqualTo(wire));
            Assert.That(KrpcCodec.Encode(message), Is.EqualTo(bytes));
            Assert.That(KrpcCodec.TryEncode(message, buffer.AsSpan(0, bytes.Length), out written), Is.True, "an exactly sized span is enough");
            Assert.That(KrpcCodec.TryEncode(message, buffer.AsSpan(0, bytes.Length - 1), out written), Is.False, "one byte less is not");
            Assert.That(written, Is.Zero);
        }

        return message;
    }
}
