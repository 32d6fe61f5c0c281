using BenchmarkDotNet.Attributes;
using MainlineDht.Bencode;

namespace MainlineDht.Benchmarks.Bencode;

/// <summary>
/// Reading (every token) and writing (into a caller's buffer) of three KRPC messages of the
/// sizes a DHT node handles most: a ping query, a get_peers response with 8 compact nodes, and a
/// get_peers response with 50 compact peers. Both directions are expected to allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class BencodeBenchmarks
{
    private const int NodeCount = 8;
    private const int PeerCount = 50;

    private static readonly byte[] NodeIdBytes = "abcdefghij0123456789"u8.ToArray();
    private static readonly byte[] Token = "aoeusnth"u8.ToArray();

    private readonly byte[] _buffer = new byte[1500];
    private readonly byte[] _compactNodes = new byte[NodeCount * 26];
    private readonly byte[] _compactPeers = new byte[PeerCount * 6];

    private byte[] _ping = [];
    private byte[] _getPeersNodes = [];
    private byte[] _getPeersValues = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        random.NextBytes(_compactNodes);
        random.NextBytes(_compactPeers);

        _ping = Encode(WritePing);
        _getPeersNodes = Encode(WriteGetPeersNodes);
        _getPeersValues = Encode(WriteGetPeersValues);

        if (!_ping.AsSpan().SequenceEqual("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"u8))
        {
            throw new InvalidOperationException("The ping query is not the BEP 5 example.");
        }

        foreach (byte[] message in new[] { _ping, _getPeersNodes, _getPeersValues })
        {
            if (!BencodeReader.IsValid(message, new BencodeReaderOptions { Strict = true }, out BencodeError error, out int offset))
            {
                throw new InvalidOperationException($"Benchmark message is not canonical bencode: {error} at {offset}.");
            }
        }
    }

    [Benchmark]
    public long ReadPing() => ReadAll(_ping);

    [Benchmark]
    public long ReadGetPeersNodes() => ReadAll(_getPeersNodes);

    [Benchmark]
    public long ReadGetPeersValues() => ReadAll(_getPeersValues);

    [Benchmark]
    public int WritePing()
    {
        var writer = new BencodeWriter(_buffer);
        WritePing(ref writer);
        return writer.BytesWritten;
    }

    [Benchmark]
    public int WriteGetPeersNodes()
    {
        var writer = new BencodeWriter(_buffer);
        WriteGetPeersNodes(ref writer);
        return writer.BytesWritten;
    }

    [Benchmark]
    public int WriteGetPeersValues()
    {
        var writer = new BencodeWriter(_buffer);
        WriteGetPeersValues(ref writer);
        return writer.BytesWritten;
    }

    /// <summary>Walks every token and folds what it sees into a checksum the JIT cannot drop.</summary>
    private static long ReadAll(ReadOnlySpan<byte> message)
    {
        var reader = new BencodeReader(message);
        long checksum = 0;
        while (reader.Read())
        {
            checksum += reader.TokenType switch
            {
                BencodeTokenType.Integer => reader.IntegerValue,
                BencodeTokenType.String or BencodeTokenType.Key => reader.ValueSpan.Length + reader.TokenStartIndex,
                _ => (int)reader.TokenType,
            };
        }

        return checksum;
    }

    // d1:ad2:id20:...e1:q4:ping1:t2:aa1:y1:qe
    private static void WritePing(ref BencodeWriter writer)
    {
        writer.WriteStartDictionary();
        writer.WriteKey("a"u8);
        writer.WriteStartDictionary();
        writer.WriteString("id"u8, NodeIdBytes);
        writer.WriteEnd();
        writer.WriteString("q"u8, "ping"u8);
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "q"u8);
        writer.WriteEnd();
    }

    // d1:rd2:id20:...5:nodes208:...5:token8:...e1:t2:aa1:y1:re
    private void WriteGetPeersNodes(ref BencodeWriter writer)
    {
        writer.WriteStartDictionary();
        writer.WriteKey("r"u8);
        writer.WriteStartDictionary();
        writer.WriteString("id"u8, NodeIdBytes);
        writer.WriteString("nodes"u8, _compactNodes);
        writer.WriteString("token"u8, Token);
        writer.WriteEnd();
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "r"u8);
        writer.WriteEnd();
    }

    // d1:rd2:id20:...5:token8:...6:valuesl6:...(x50)ee1:t2:aa1:y1:re
    private void WriteGetPeersValues(ref BencodeWriter writer)
    {
        writer.WriteStartDictionary();
        writer.WriteKey("r"u8);
        writer.WriteStartDictionary();
        writer.WriteString("id"u8, NodeIdBytes);
        writer.WriteString("token"u8, Token);
        writer.WriteKey("values"u8);
        writer.WriteStartList();
        ReadOnlySpan<byte> peers = _compactPeers;
        for (int i = 0; i < PeerCount; i++)
        {
            writer.WriteString(peers.Slice(i * 6, 6));
        }

        writer.WriteEnd();
        writer.WriteEnd();
        writer.WriteString("t"u8, "aa"u8);
        writer.WriteString("y"u8, "r"u8);
        writer.WriteEnd();
    }

    private delegate void WriteMessage(ref BencodeWriter writer);

    private byte[] Encode(WriteMessage write)
    {
        var writer = new BencodeWriter(_buffer);
        write(ref writer);
        if (writer.Overflowed || writer.CurrentDepth != 0)
        {
            throw new InvalidOperationException("The benchmark message did not fit.");
        }

        return writer.WrittenSpan.ToArray();
    }
}
