using BenchmarkDotNet.Attributes;
using MainlineDht.Protocol;

namespace MainlineDht.Benchmarks.Protocol;

/// <summary>
/// The KRPC codec on BEP 44's messages: a mutable <c>put</c> query (salt, 1000-byte value: the
/// largest a node stores) and a <c>get</c> reply carrying a mutable item, a token and 8 nodes.
/// Decoding touches what a node reads from each; encoding writes into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class KrpcCodecItemBenchmarks
{
    private readonly byte[] _buffer = new byte[1500];
    private byte[] _put = [];
    private byte[] _getReply = [];
    private KrpcMessage _putMessage = null!;
    private KrpcMessage _getReplyMessage = null!;

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

        byte[] value = [.. "995:"u8, .. Bytes(995)];   // 999 bytes of bencode
        _putMessage = new PutQuery
        {
            TransactionId = Bytes(2),
            Id = NodeId.CreateRandom(random),
            Token = Bytes(8),
            Value = value,
            PublicKey = Bytes(32),
            Salt = "profile"u8.ToArray(),
            Sequence = 42,
            Signature = Bytes(64),
            CompareAndSwap = 41,
        };
        _getReplyMessage = new KrpcResponse
        {
            TransactionId = Bytes(2),
            Version = "LT\x01\x02"u8.ToArray(),
            Id = NodeId.CreateRandom(random),
            Nodes = Bytes(CompactFormat.NodeV4Size * 8),
            Token = Bytes(8),
            Value = (byte[])[.. "200:"u8, .. Bytes(200)],
            PublicKey = Bytes(32),
            Sequence = 42,
            Signature = Bytes(64),
        };

        _put = KrpcCodec.Encode(_putMessage);
        _getReply = KrpcCodec.Encode(_getReplyMessage);
        if (DecodePut() == 0 || DecodeGetReply() == 0)
        {
            throw new InvalidOperationException("The benchmark datagrams do not decode.");
        }
    }

    [Benchmark]
    public int DecodePut()
    {
        if (!KrpcCodec.TryDecode(_put, out KrpcMessage? message, out _) || message is not PutQuery put)
        {
            return 0;
        }

        return put.TransactionId.Length + put.Token.Length + put.Value.Length + put.PublicKey.Length + put.Salt.Length
            + put.Signature.Length + (int)(put.Sequence ?? 0) + (int)(put.CompareAndSwap ?? 0);
    }

    [Benchmark]
    public int DecodeGetReply()
    {
        if (!KrpcCodec.TryDecode(_getReply, out KrpcMessage? message, out _) || message is not KrpcResponse reply)
        {
            return 0;
        }

        return reply.TransactionId.Length + reply.Nodes.Length + reply.Token.Length + reply.Value.Length
            + reply.PublicKey.Length + reply.Signature.Length + (int)(reply.Sequence ?? 0);
    }

    [Benchmark]
    public int EncodePut() => KrpcCodec.TryEncode(_putMessage, _buffer, out int written) ? written : -1;

    [Benchmark]
    public int EncodeGetReply() => KrpcCodec.TryEncode(_getReplyMessage, _buffer, out int written) ? written : -1;
}
