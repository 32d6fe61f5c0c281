using System.Net.Sockets;
using MainlineDht.Bencode;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Storage;

namespace MainlineDht.Node;

// The fields a reply can carry, each counted into the reply's size as it is added. The buffers only
// some replies need are allocated at their first use: most nodes never send values, samples, IPv6
// nodes or scrape filters, and a simulation runs a hundred thousand nodes in one process.
internal sealed partial class ReplyBuilder
{
    /// <summary>K: the nodes a reply hands out per family.</summary>
    public const int NodesPerReply = 8;

    /// <summary>BEP 51: the most infohashes one <c>sample_infohashes</c> reply returns.</summary>
    public const int MaxSamples = 40;

    private readonly byte[] _tokenBuffer = new byte[WriteTokenManager.TokenLength];
    private byte[]? _nodesBuffer;
    private byte[]? _nodes6Buffer;
    private byte[]? _valuesBuffer;
    private byte[]? _samplesBuffer;
    private NodeId[]? _sampledIds;
    private ScrapeBloomFilter? _seeds;
    private ScrapeBloomFilter? _downloaders;
    private byte[]? _seedsBits;
    private byte[]? _downloadersBits;

    /// <summary>
    /// Adds the nodes closest to <paramref name="target"/> of the families the querier wants (BEP 32;
    /// no <c>want</c>: its own family), each from that family's routing table, as many as fit the
    /// reply's limit (K when nothing is cut). The key of each wanted family is written even when
    /// empty: the query types that return nodes require it.
    /// </summary>
    /// <param name="target">The target.</param>
    /// <param name="want">The families wanted.</param>
    /// <remarks>
    /// Nodes always fit what the reply's limit leaves (the IPv4 ones first, room kept for an empty
    /// <c>nodes6</c> key): a BEP 44 item, which is never cut, goes first and the nodes fill the rest;
    /// for an unverified source the limit is a small multiple of its query.
    /// </remarks>
    public void AddNodes(NodeId target, WantFamilies want)
    {
        if (want == WantFamilies.None)
        {
            want = SourceFamily == AddressFamily.InterNetwork ? WantFamilies.IPv4 : WantFamilies.IPv6;
        }

        bool v4 = (want & WantFamilies.IPv4) != 0, v6 = (want & WantFamilies.IPv6) != 0;
        if (v4)
        {
            int max = Fitting("nodes", CompactFormat.NodeV4Size, v6 ? Entry("nodes6", 0) : 0);
            _nodes = WriteNodes(AddressFamily.InterNetwork, target, _nodesBuffer ??= new byte[CompactFormat.NodeV4Size * NodesPerReply], max);
            _keys |= KrpcResponseKeys.Nodes;
            _size += Entry("nodes", _nodes.Length);
        }

        if (v6)
        {
            int max = Fitting("nodes6", CompactFormat.NodeV6Size, 0);
            _nodes6 = WriteNodes(AddressFamily.InterNetworkV6, target, _nodes6Buffer ??= new byte[CompactFormat.NodeV6Size * NodesPerReply], max);
            _keys |= KrpcResponseKeys.Nodes6;
            _size += Entry("nodes6", _nodes6.Length);
        }
    }

    /// <summary>How many compact nodes of <paramref name="nodeSize"/> bytes fit under <paramref name="key"/>, leaving <paramref name="reserved"/> bytes.</summary>
    private int Fitting(string key, int nodeSize, int reserved)
    {
        int count = NodesPerReply;
        while (count > 0 && _size + Entry(key, count * nodeSize) + reserved > _limit)
        {
            count--;
        }

        return count;
    }

    /// <summary>Adds a write token for the requester's address.</summary>
    public void AddToken()
    {
        int length = _node.Tokens.WriteToken(Source.Address, _tokenBuffer, Now);
        _token = _tokenBuffer.AsMemory(0, length);
        _size += Entry("token", length);
    }

    /// <summary>
    /// Adds random stored peers of <paramref name="infoHash"/> in the requester's family, as many as
    /// fit the reply's budget (none: no <c>values</c> key).
    /// </summary>
    public void AddValues(NodeId infoHash, bool noSeed)
    {
        int peerSize = PeerStore.CompactPeerSize(SourceFamily);
        int room = _limit - _size - Key("values") - 2; // l...e
        int max = Math.Max(0, room / BencodeWriter.StringSize(peerSize));
        Span<byte> compact = stackalloc byte[Budget];
        max = Math.Min(max, compact.Length / peerSize);
        int count = _node.Peers.GetPeers(infoHash, max, SourceFamily, Now, compact[..(max * peerSize)], noSeed);
        if (count == 0)
        {
            return;
        }

        byte[] buffer = _valuesBuffer ??= new byte[Budget];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartList();
        for (int i = 0; i < count; i++)
        {
            writer.WriteString(compact.Slice(i * peerSize, peerSize));
        }

        writer.WriteEnd();
        _values = CompactPeerList.FromValidatedList(buffer.AsMemory(0, writer.BytesWritten), count);
        _size += Key("values") + writer.BytesWritten;
    }

    /// <summary>
    /// BEP 33: adds the seeds' and downloaders' bloom filters of <paramref name="infoHash"/>, when any
    /// peer is stored. Whole or not at all: add them before the nodes and values, which fill what is
    /// left. When they do not fit the reply's limit (a source we never verified that did not pad its
    /// query) they are left out and the cut is counted.
    /// </summary>
    public void AddScrapeFilters(NodeId infoHash)
    {
        int size = Entry("BFsd", ScrapeBloomFilter.Size) + Entry("BFpe", ScrapeBloomFilter.Size);
        if (_size + size > _limit)
        {
            if (_node.Peers.Holds(infoHash))
            {
                _node.Counters.RepliesCut++;
            }

            return;
        }

        ScrapeBloomFilter seeds = _seeds ??= new ScrapeBloomFilter();
        ScrapeBloomFilter downloaders = _downloaders ??= new ScrapeBloomFilter();
        if (!_node.Peers.Scrape(infoHash, Now, seeds, downloaders))
        {
            return;
        }

        seeds.Bits.CopyTo(_seedsBits ??= new byte[ScrapeBloomFilter.Size]);
        downloaders.Bits.CopyTo(_downloadersBits ??= new byte[ScrapeBloomFilter.Size]);
        _seedsFilter = _seedsBits;
        _peersFilter = _downloadersBits;
        _size += Entry("BFsd", ScrapeBloomFilter.Size) + Entry("BFpe", ScrapeBloomFilter.Size);
    }

    /// <summary>
    /// BEP 51: adds a random sample of the stored infohashes (as many as fit, at most
    /// <see cref="MaxSamples"/>; the key even when there is none), how many are stored, and the
    /// interval the querier should wait before asking again.
    /// </summary>
    public void AddSamples(TimeSpan interval)
    {
        long stored = _node.Peers.InfoHashCount;
        long seconds = (long)interval.TotalSeconds;
        int fixedSize = _size + IntegerEntry("num", stored) + IntegerEntry("interval", seconds) + Key("samples");
        int room = MaxSamples;
        while (room > 0 && fixedSize + BencodeWriter.StringSize(room * NodeId.Size) > _limit)
        {
            room--;
        }

        if (room < Math.Min(MaxSamples, stored))
        {
            _node.Counters.RepliesCut++;
        }

        NodeId[] ids = _sampledIds ??= new NodeId[MaxSamples];
        byte[] buffer = _samplesBuffer ??= new byte[NodeId.Size * MaxSamples];
        int count = _node.Peers.SampleInfoHashes(room, _node.Random, Now, ids);
        for (int i = 0; i < count; i++)
        {
            ids[i].WriteTo(buffer.AsSpan(i * NodeId.Size));
        }

        _samples = buffer.AsMemory(0, count * NodeId.Size);
        _num = stored;
        _interval = seconds;
        _keys |= KrpcResponseKeys.Samples;
        _size = fixedSize + BencodeWriter.StringSize(_samples.Length);
    }

    private ReadOnlyMemory<byte> WriteNodes(AddressFamily family, NodeId target, byte[] buffer, int max)
    {
        // On the stack (512 bytes), not in a field: a node kept that scratch array as long as it ran.
        Span<RoutingNode> closest = stackalloc RoutingNode[NodesPerReply];
        int count = max == 0 ? 0 : _host.FindClosestToShare(family, target, closest[..max]);
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            ref readonly RoutingNode node = ref closest[i];
            if (node.Address.IsV4OrMapped == (family == AddressFamily.InterNetwork))
            {
                written += node.WriteCompact(buffer.AsSpan(written));
            }
        }

        return buffer.AsMemory(0, written);
    }
}
