using System.Net;
using BenchmarkDotNet.Attributes;
using MainlineDht.Protocol;

namespace MainlineDht.Benchmarks.Protocol;

/// <summary>
/// The KRPC codec on the datagrams a node handles most: a ping query, a get_peers reply with 8
/// nodes, and a get_peers reply with 50 peers. Decoding touches what a node reads from each
/// (transaction id, type, ids, nodes, token, values); encoding writes into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class KrpcCodecBenchmarks
{
    private readonly byte[] _buffer = new byte[1500];
    private readonly NodeId _self = NodeId.CreateRandom(new Random(2));
    private byte[] _ping = [];
    private byte[] _nodesReply = [];
    private byte[] _valuesReply = [];
    private KrpcMessage _pingMessage = null!;
    private KrpcMessage _nodesReplyMessage = null!;
    private KrpcMessage _valuesReplyMessage = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        byte[] Bytes(int n)
        {
            byte[] b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        _pingMessage = new PingQuery { TransactionId = "aa"u8.ToArray(), Id = NodeId.CreateRandom(random) };
        _nodesReplyMessage = new KrpcResponse
        {
            TransactionId = Bytes(2),
            Version = "LT\x01\x02"u8.ToArray(),
            Id = NodeId.CreateRandom(random),
            Nodes = Bytes(CompactFormat.NodeV4Size * 8),
            Token = Bytes(8),
        };
        _valuesReplyMessage = new KrpcResponse
        {
            TransactionId = Bytes(2),
            Version = "LT\x01\x02"u8.ToArray(),
            Id = NodeId.CreateRandom(random),
            Token = Bytes(8),
            Values = CompactPeerList.Create(Enumerable.Range(0, 50).Select(_ => new IPEndPoint(new IPAddress(Bytes(4)), random.Next(1, 65536)))),
        };

        _ping = KrpcCodec.Encode(_pingMessage);
        _nodesReply = KrpcCodec.Encode(_nodesReplyMessage);
        _valuesReply = KrpcCodec.Encode(_valuesReplyMessage);
        if (DecodePing() == 0 || DecodeNodesReply() == 0 || DecodeValuesReply() == 0)
        {
            throw new InvalidOperationException("The benchmark datagrams do not decode.");
        }
    }

    [Benchmark]
    public int DecodePing() => Touch(_ping);

    [Benchmark]
    public int DecodeNodesReply() => Touch(_nodesReply);

    [Benchmark]
    public int DecodeValuesReply() => Touch(_valuesReply);

    [Benchmark]
    public int EncodePing() => Encode(_pingMessage);

    [Benchmark]
    public int EncodeNodesReply() => Encode(_nodesReplyMessage);

    [Benchmark]
    public int EncodeValuesReply() => Encode(_valuesReplyMessage);

    private int Encode(KrpcMessage message) =>
        KrpcCodec.TryEncode(message, _buffer, out int written) ? written : -1;

    // What a node's dispatch reads: the transaction id and type, then the sender id (compared
    // with our own) and, for a reply, the nodes, token and values it carries.
    private int Touch(byte[] datagram)
    {
        if (!KrpcCodec.TryDecode(datagram, out KrpcMessage? message, out _))
        {
            return 0;
        }

        int t = message.TransactionId.Length;
        return message switch
        {
            KrpcQuery q => t + (int)q.Method + (q.Id == _self ? 0 : 1),
            KrpcResponse r => t + (r.Id == _self ? 0 : 1) + r.Nodes.Length + r.Token.Length + r.Values.Count,
            _ => t,
        };
    }
}
