using MainlineDht.Protocol;
using static MainlineDht.Tests.Protocol.KrpcVectors;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// Keys a reply requires even when there is nothing in them (<c>nodes</c>, <c>nodes6</c>,
/// <c>samples</c>), written as empty strings as libtorrent and bittorrent-dht do; and the BEP 42
/// <c>ip</c> of error replies.
/// </summary>
public sealed class KrpcCodecRequiredKeysTests
{
    private static readonly NodeId M = new(Latin1(IdM));

    [Test]
    public void Included_keys_are_written_as_empty_strings()
    {
        var response = new KrpcResponse
        {
            Id = M,
            TransactionId = Latin1("aa"),
            Num = 0,
            Interval = 300,
            IncludedKeys = KrpcResponseKeys.Nodes | KrpcResponseKeys.Nodes6 | KrpcResponseKeys.Samples,
        };
        Assert.That(Text(KrpcCodec.Encode(response)), Is.EqualTo("d1:rd2:id20:mnopqrstuvwxyz1234568:intervali300e5:nodes0:6:nodes60:3:numi0e7:samples0:e1:t2:aa1:y1:re"));
    }

    [Test]
    public void Keys_not_included_and_empty_are_left_out_and_keys_with_a_value_are_always_written()
    {
        Assert.That(Text(KrpcCodec.Encode(new KrpcResponse { Id = M, TransactionId = Latin1("aa") })), Is.EqualTo(PingResponse));
        var nodes = new KrpcResponse { Id = M, TransactionId = Latin1("aa"), Nodes = Latin1(Node4) };
        Assert.That(Text(KrpcCodec.Encode(nodes)), Is.EqualTo($"d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:{Node4}e1:t2:aa1:y1:re"));
        Assert.That(nodes.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes));
        Assert.That(nodes, Is.EqualTo(new KrpcResponse { Id = M, TransactionId = Latin1("aa"), Nodes = Latin1(Node4), IncludedKeys = KrpcResponseKeys.Nodes }));
    }

    [Test]
    public void An_empty_key_decodes_as_present_and_re_encodes_byte_for_byte()
    {
        const string wire = "d1:rd2:id20:mnopqrstuvwxyz1234565:nodes0:6:nodes60:7:samples0:e1:t2:aa1:y1:re";
        var response = (KrpcResponse)KrpcCodecBep5Tests.AssertRoundTrip(wire);
        Assert.That(response.Nodes.IsEmpty && response.Nodes6.IsEmpty && response.Samples.IsEmpty, Is.True, "tolerant: an empty key is just no nodes");
        Assert.That(response.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes | KrpcResponseKeys.Nodes6 | KrpcResponseKeys.Samples));
        Assert.That(response, Is.Not.EqualTo(KrpcCodec.Decode(Latin1(PingResponse)) as KrpcResponse), "present-but-empty is not absent");
    }

    [Test]
    public void An_error_carries_the_requesters_address_between_e_and_t()
    {
        byte[] buffer = new byte[128];
        Assert.That(KrpcCodec.TryEncodeError(Latin1("xy"), KrpcErrorCode.MethodUnknown, Latin1("method unknown"), Latin1("MD\u0000\u0001"), Latin1(Peer42), buffer, out int written), Is.True);
        string wire = Text(buffer.AsMemory(0, written));
        Assert.That(wire, Is.EqualTo($"d1:eli204e14:method unknowne2:ip6:{Peer42}1:t2:xy1:v4:MD\u0000\u00011:y1:ee"));
        var error = (KrpcError)KrpcCodec.Decode(Latin1(wire));
        Assert.That(error.GetExternalEndPoint()?.ToString(), Is.EqualTo("124.31.75.21:6881"));
        Assert.That(KrpcCodec.Encode(error), Is.EqualTo(Latin1(wire)), "the message model writes the same bytes");
    }
}
