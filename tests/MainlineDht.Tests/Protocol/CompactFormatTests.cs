using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Protocol.KrpcVectors;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>The compact peer and node formats of BEP 5 and BEP 32, and <see cref="CompactPeerList"/>.</summary>
[TestFixture]
public sealed class CompactFormatTests
{
    private static readonly NodeId IdZero9 = new(Latin1(Id0));
    private static readonly NodeId IdM9 = new(Latin1(IdM));

    [Test]
    public void Peer4_Is6Bytes_BigEndian()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("1.2.3.4"), 0x1AE1);
        byte[] compact = CompactFormat.ToCompactPeer(endPoint);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(CompactFormat.PeerSize(endPoint), Is.EqualTo(6));
            Assert.That(compact, Is.EqualTo(new byte[] { 1, 2, 3, 4, 0x1A, 0xE1 }));
            Assert.That(CompactFormat.TryReadPeer(compact, out IPEndPoint back), Is.True);
            Assert.That(back, Is.EqualTo(endPoint));
        }
    }

    [Test]
    public void Peer6_Is18Bytes_BigEndian()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("2001:db8::1:2"), 65535);
        byte[] compact = CompactFormat.ToCompactPeer(endPoint);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(CompactFormat.PeerSize(endPoint), Is.EqualTo(18));
            Assert.That(compact, Is.EqualTo(new byte[] { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0xff, 0xff }));
            Assert.That(CompactFormat.TryReadPeer(compact, out IPEndPoint back), Is.True);
            Assert.That(back, Is.EqualTo(endPoint));
        }
    }

    [Test]
    public void IPv4MappedIPv6_IsWrittenAs6Bytes()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:10.20.30.40"), 6881);
        byte[] compact = CompactFormat.ToCompactPeer(mapped);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(CompactFormat.PeerSize(mapped), Is.EqualTo(6));
            Assert.That(compact, Is.EqualTo(new byte[] { 10, 20, 30, 40, 0x1A, 0xE1 }));
            Assert.That(CompactFormat.TryReadPeer(compact, out IPEndPoint back), Is.True);
            Assert.That(back, Is.EqualTo(new IPEndPoint(IPAddress.Parse("10.20.30.40"), 6881)));
        }
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(7)]
    [TestCase(17)]
    [TestCase(19)]
    [TestCase(26)]
    public void TryReadPeer_OtherLengths_False(int length)
    {
        Assert.That(CompactFormat.TryReadPeer(new byte[length], out _), Is.False);
    }

    [Test]
    public void WritePeer_TooSmallDestination_Throws()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => CompactFormat.WritePeer(new IPEndPoint(IPAddress.Loopback, 1), new byte[5]), Throws.ArgumentException);
            Assert.That(() => CompactFormat.WritePeer(new IPEndPoint(IPAddress.IPv6Loopback, 1), new byte[17]), Throws.ArgumentException);
        }
    }

    [Test]
    public void Node4_Is26Bytes()
    {
        var node = new NodeInfo(IdZero9, new IPEndPoint(IPAddress.Loopback, 6881));
        byte[] buffer = new byte[CompactFormat.NodeV6Size];
        int written = CompactFormat.WriteNode(node, buffer);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(written, Is.EqualTo(26));
            Assert.That(Text(buffer.AsMemory(0, written)), Is.EqualTo(Node4));
            Assert.That(CompactFormat.TryReadNode(buffer.AsSpan(0, written), out NodeInfo back), Is.True);
            Assert.That(back, Is.EqualTo(node));
        }
    }

    [Test]
    public void Node6_Is38Bytes()
    {
        var node = new NodeInfo(IdM9, new IPEndPoint(IPAddress.IPv6Loopback, 6881));
        byte[] buffer = new byte[CompactFormat.NodeV6Size];
        int written = CompactFormat.WriteNode(node, buffer);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(written, Is.EqualTo(38));
            Assert.That(Text(buffer.AsMemory(0, written)), Is.EqualTo(Node6));
            Assert.That(CompactFormat.TryReadNode(buffer, out NodeInfo back), Is.True);
            Assert.That(back, Is.EqualTo(node));
        }
    }

    [TestCase(0)]
    [TestCase(20)]
    [TestCase(25)]
    [TestCase(27)]
    [TestCase(37)]
    [TestCase(39)]
    public void TryReadNode_OtherLengths_False(int length)
    {
        Assert.That(CompactFormat.TryReadNode(new byte[length], out _), Is.False);
    }

    [Test]
    public void WriteNodes_KeepsOneFamily_AndReadNodesReadsItBack()
    {
        var random = new Random(11);
        NodeInfo[] nodes =
        [
            new(NodeId.CreateRandom(random), new IPEndPoint(IPAddress.Parse("1.2.3.4"), 1)),
            new(NodeId.CreateRandom(random), new IPEndPoint(IPAddress.Parse("2001:db8::5"), 2)),
            new(NodeId.CreateRandom(random), new IPEndPoint(IPAddress.Parse("::ffff:5.6.7.8"), 3)),
            new(NodeId.CreateRandom(random), new IPEndPoint(IPAddress.Parse("fe80::9"), 65535)),
        ];

        byte[] v4 = CompactFormat.WriteNodes(nodes, AddressFamily.InterNetwork);
        byte[] v6 = CompactFormat.WriteNodes(nodes, AddressFamily.InterNetworkV6);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(v4, Has.Length.EqualTo(2 * 26));
            Assert.That(v6, Has.Length.EqualTo(2 * 38));
            Assert.That(CompactFormat.ReadNodes(v4, AddressFamily.InterNetwork), Is.EqualTo(new[]
            {
                nodes[0],
                new NodeInfo(nodes[2].Id, new IPEndPoint(IPAddress.Parse("5.6.7.8"), 3)),
            }));
            Assert.That(CompactFormat.ReadNodes(v6, AddressFamily.InterNetworkV6), Is.EqualTo(new[] { nodes[1], nodes[3] }));
        }
    }

    [TestCase(0, 0)]
    [TestCase(25, 0)]
    [TestCase(26, 1)]
    [TestCase(51, 1)]
    [TestCase(52, 2)]
    [TestCase(26 * 8 + 13, 8)]
    public void EnumerateNodes_IgnoresATrailingPartialEntry(int length, int expected)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        var ids = new List<NodeId>();
        foreach (NodeInfo node in CompactFormat.EnumerateNodes(data, AddressFamily.InterNetwork))
        {
            ids.Add(node.Id);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Has.Count.EqualTo(expected));
            for (int i = 0; i < ids.Count; i++)
            {
                Assert.That(ids[i], Is.EqualTo(new NodeId(data.AsSpan(i * 26, 20))));
            }

            Assert.That(CompactFormat.ReadNodes(data, AddressFamily.InterNetwork), Has.Count.EqualTo(expected));
        }
    }

    [TestCase(37, 0)]
    [TestCase(38, 1)]
    [TestCase(38 * 3 + 37, 3)]
    public void EnumerateNodes6_IgnoresATrailingPartialEntry(int length, int expected)
    {
        byte[] data = new byte[length];
        Assert.That(CompactFormat.ReadNodes(data, AddressFamily.InterNetworkV6), Has.Count.EqualTo(expected));
    }

    [Test]
    public void EnumerateNodes_OfTheBep5Placeholder_YieldsNothing()
    {
        var response = (KrpcResponse)KrpcCodec.Decode(Latin1(FindNodeResponse));
        Assert.That(CompactFormat.ReadNodes(response.Nodes.Span, AddressFamily.InterNetwork), Is.Empty);
    }

    [Test]
    public void CompactPeerList_Create_EnumeratesAndConvertsBack()
    {
        IPEndPoint[] peers =
        [
            new(IPAddress.Parse("1.2.3.4"), 6881),
            new(IPAddress.Parse("2001:db8::1"), 51413),
            new(IPAddress.Parse("::ffff:9.8.7.6"), 1),
        ];

        CompactPeerList list = CompactPeerList.Create(peers);
        var sizes = new List<int>();
        foreach (ReadOnlySpan<byte> entry in list)
        {
            sizes.Add(entry.Length);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(list.IsEmpty, Is.False);
            Assert.That(list.Count, Is.EqualTo(3));
            Assert.That(sizes, Is.EqualTo(new[] { 6, 18, 6 }));
            Assert.That(list.ToEndPoints(), Is.EqualTo(new[] { peers[0], peers[1], new IPEndPoint(IPAddress.Parse("9.8.7.6"), 1) }));
            Assert.That(Text(list.Encoded)[..9], Is.EqualTo("l6:\u0001\u0002\u0003\u0004\u001a\u00e1"));
            Assert.That(list.Encoded.Span[^1], Is.EqualTo((byte)'e'));
        }
    }

    [Test]
    public void CompactPeerList_Empty()
    {
        CompactPeerList none = default;
        CompactPeerList empty = CompactPeerList.Create([]);
        int entries = 0;
        foreach (ReadOnlySpan<byte> entry in none)
        {
            entries += entry.Length + 1;
        }

        foreach (ReadOnlySpan<byte> entry in empty)
        {
            entries += entry.Length + 1;
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(entries, Is.Zero);
            Assert.That(none.IsEmpty, Is.True);
            Assert.That(none.Count, Is.Zero);
            Assert.That(none.ToEndPoints(), Is.Empty);
            Assert.That(empty.IsEmpty, Is.False, "an empty list is still a 'values' key");
            Assert.That(Text(empty.Encoded), Is.EqualTo("le"));
            Assert.That(empty.ToEndPoints(), Is.Empty);
            Assert.That(none, Is.Not.EqualTo(empty));
        }
    }

    [Test]
    public void CompactPeerList_Decoded_SkipsEntriesOfOtherLengths()
    {
        const string wire = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:" + Peer4 + "3:abc18:" + Peer6 + "0:ee1:t2:aa1:y1:re";
        var response = (KrpcResponse)KrpcCodec.Decode(Latin1(wire));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Values.Count, Is.EqualTo(4), "Count is the number of strings");
            Assert.That(response.Values.ToEndPoints(), Is.EqualTo(new[]
            {
                new IPEndPoint(IPAddress.Loopback, 6881),
                new IPEndPoint(IPAddress.IPv6Loopback, 6881),
            }));
        }
    }

    [Test]
    public void CompactPeerList_ManyPeers_RoundTripThroughAResponse()
    {
        var random = new Random(3);
        IPEndPoint[] peers = [.. Enumerable.Range(0, 50).Select(_ => new IPEndPoint(new IPAddress(random.NextInt64(0, 1L << 32)), random.Next(1, 65536)))];
        var response = new KrpcResponse { TransactionId = Latin1("aa"), Id = IdM9, Token = Latin1("aoeusnth"), Values = CompactPeerList.Create(peers) };
        byte[] wire = KrpcCodec.Encode(response);
        var back = (KrpcResponse)KrpcCodec.Decode(wire);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(wire, Has.Length.LessThan(KrpcCodec.MaxDatagramSize));
            Assert.That(back.Values.Count, Is.EqualTo(50));
            Assert.That(back.Values.ToEndPoints(), Is.EqualTo(peers));
        }
    }
}
