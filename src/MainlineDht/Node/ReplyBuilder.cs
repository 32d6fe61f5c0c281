using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Bencode;
using MainlineDht.Protocol;
using MainlineDht.Transport;

namespace MainlineDht.Node;

/// <summary>
/// Builds and sends the reply to one query at a time: the scratch buffers a reply is written into,
/// and its size, counted exactly as the codec will encode it, so that what is cut to fit (<c>values</c>,
/// <c>samples</c>) is cut against the real size instead of an estimate with slack. Every reply carries
/// the requester's address (BEP 42 <c>ip</c>), errors included. One per engine; used under the gate.
/// </summary>
/// <remarks>The fields a reply can carry are added in <c>ReplyBuilder.Fields.cs</c>.</remarks>
internal sealed partial class ReplyBuilder
{
    /// <summary>
    /// A reply is kept under this many bytes (the design's "~1200–1400", with room left below the
    /// path MTU for tunnels): <c>values</c> and <c>samples</c> are cut to fit.
    /// </summary>
    public const int Budget = 1200;

    /// <summary>An error's message is cut to this many bytes (BEP 44's refusals say what was wrong in a sentence).</summary>
    private const int MaxErrorText = 128;

    private readonly NodeContext _node;
    private readonly IQueryHost _host;
    private readonly IDatagramTransport _transport;
    private readonly NotSent _notSent;
    private readonly byte[] _ip = new byte[CompactFormat.PeerV6Size];
    private int _ipLength;

    // The reply being built.
    private KrpcQuery? _query;
    private IPEndPoint? _source;
    private ReadOnlyMemory<byte> _token, _nodes, _nodes6, _seedsFilter, _peersFilter, _samples;
    private CompactPeerList _values;
    private long? _num, _interval;
    private ReadOnlyMemory<byte> _itemValue, _itemKey, _itemSignature;
    private long? _itemSequence;
    private KrpcResponseKeys _keys;
    private int _size;
    private int _limit = Budget;
    private int _itemLimit = Budget; // a BEP 44 item may take the reply past the budget, not past the amplification limit
    private bool _verified = true;

    public ReplyBuilder(NodeContext node, IQueryHost host, IDatagramTransport transport)
    {
        _node = node;
        _host = host;
        _transport = transport;
        _notSent = new NotSent(node);
    }

    /// <summary>The node's shared state (storage, tokens, counters) for handlers.</summary>
    public NodeContext Node => _node;

    /// <summary>The time the query is answered at.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>The requester.</summary>
    public IPEndPoint Source => _source!;

    /// <summary>The requester's address family: the family of the <c>values</c> we return it.</summary>
    public AddressFamily SourceFamily => CompactFormat.IsV4(Source.Address) ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>What the response encodes to with the fields added so far.</summary>
    public int Size => _size;

    /// <summary>
    /// The most bytes this reply may take: <see cref="Budget"/>, or for an unverified source its
    /// query's size times <see cref="DhtNodeOptions.AmplificationLimit"/>. Fields that can be cut
    /// (<c>nodes</c>, <c>values</c>, <c>samples</c>) are cut to fit it; others are left out when they do not fit.
    /// </summary>
    public int Limit => _limit;

    /// <summary>The bytes left for more fields.</summary>
    public int Room => _limit - _size;

    /// <summary>Whether the reply begun last was refused for the node's reply budget.</summary>
    public bool RefusedOverBudget { get; private set; }

    /// <summary>Starts the reply to <paramref name="query"/>.</summary>
    /// <param name="query">The query.</param>
    /// <param name="source">Its source.</param>
    /// <param name="now">The time it is answered at.</param>
    /// <param name="limit">The most bytes the reply may take (see <see cref="Limit"/>).</param>
    /// <param name="verified">Whether the source is a verified node (it spends the reply budget first).</param>
    public void Begin(KrpcQuery query, IPEndPoint source, DateTimeOffset now, int limit = Budget, bool verified = true)
    {
        RefusedOverBudget = false;
        _query = query;
        _source = source;
        Now = now;
        _limit = Math.Min(limit, Budget);
        _itemLimit = limit;
        _verified = verified;
        _token = _nodes = _nodes6 = _seedsFilter = _peersFilter = _samples = default;
        _values = default;
        _num = _interval = null;
        _itemValue = _itemKey = _itemSignature = default;
        _itemSequence = null;
        _keys = KrpcResponseKeys.None;
        _ipLength = CompactFormat.WritePeer(source, _ip);

        // d 2:ip <ip> 1:r d 2:id 20:<id> e 1:t <t> [1:v <v>] 1:y 1:r e
        _size = 2 + Entry("ip", _ipLength) + Key("r") + 2 + Entry("id", NodeId.Size)
            + Entry("t", query.TransactionId.Length) + VersionEntry() + Entry("y", 1);
    }

    /// <summary>Sends the response with the fields added.</summary>
    public void SendResponse()
    {
        KrpcQuery query = _query!;
        if (!MaySend(_size, _itemValue.IsEmpty ? _limit : _itemLimit, _verified))
        {
            _query = null;
            _itemValue = _itemKey = _itemSignature = default;
            return;
        }

        var reply = new ResponseFields
        {
            Id = _node.Id,
            Token = _token,
            Nodes = _nodes,
            Nodes6 = _nodes6,
            Values = _values,
            SeedsFilter = _seedsFilter,
            PeersFilter = _peersFilter,
            Samples = _samples,
            Num = _num,
            Interval = _interval,
            Value = _itemValue,
            PublicKey = _itemKey,
            Signature = _itemSignature,
            Sequence = _itemSequence,
            IncludedKeys = _keys,
            TransactionId = query.TransactionId,
            ExternalAddress = _ip.AsMemory(0, _ipLength),
            Version = _node.Options.Version,
        };
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_size);
        if (!KrpcCodec.TryEncodeResponse(in reply, buffer, out int written) || written != _size)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new InvalidOperationException($"A reply was sized at {_size} bytes but encodes to {(written == 0 ? "more" : written)}.");
        }

        _node.Counters.Answered++; // taken back if the transport does not send it
        _node.Outbox.Enqueue(_transport, buffer, written, Source, _notSent, null, 0);
        _query = null;
        _itemValue = _itemKey = _itemSignature = default; // hold no stored item past the reply
    }

    /// <summary>Answers the query with a KRPC error.</summary>
    public void SendError(KrpcErrorCode code, string text)
    {
        SendError(_query!.TransactionId.Span, code, text, Source, _limit, _verified);
        _query = null;
    }

    /// <summary>Sends a KRPC error to <paramref name="destination"/> (also for datagrams that are not a valid query), unless it exceeds <paramref name="limit"/> or the reply budget.</summary>
    public void SendError(ReadOnlySpan<byte> transactionId, KrpcErrorCode code, string text, IPEndPoint destination, int limit = Budget, bool verified = true)
    {
        Span<byte> message = stackalloc byte[MaxErrorText];
        int length = System.Text.Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, message.Length)), message);
        int ipLength = CompactFormat.WritePeer(destination, _ip);

        // d 1:e l i<code>e <text> e 2:ip <ip> 1:t <t> [1:v <v>] 1:y 1:e e
        int size = 2 + Key("e") + 2 + IntegerSize((int)code) + BencodeWriter.StringSize(length)
            + Entry("ip", ipLength) + Entry("t", transactionId.Length) + VersionEntry() + Entry("y", 1);
        if (!MaySend(size, limit, verified))
        {
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        if (!KrpcCodec.TryEncodeError(transactionId, code, message[..length], _node.Options.Version.Span, _ip.AsSpan(0, ipLength), buffer, out int written) || written != size)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new InvalidOperationException($"An error reply was sized at {size} bytes but encodes to {(written == 0 ? "more" : written)}.");
        }

        _node.Counters.ErrorSent(code, +1);
        _node.Outbox.Enqueue(_transport, buffer, written, destination, _notSent, null, (int)code);
    }

    /// <summary>
    /// Whether a reply of <paramref name="size"/> bytes may go: within its limit (a reply to an
    /// unverified source that cut fields could not bring under it is withheld) and the node's reply
    /// budget (which it then spends). Each refusal is counted.
    /// </summary>
    private bool MaySend(int size, int limit, bool verified)
    {
        if (size > limit && !verified)
        {
            _node.Counters.RepliesWithheld++;
            return false;
        }

        if (_node.Bandwidth?.TryTake(size, verified) == false)
        {
            _node.Counters.RepliesOverBudget++;
            RefusedOverBudget = true;
            return false;
        }

        return true;
    }

    /// <summary>The size of a bencoded key.</summary>
    private static int Key(string key) => BencodeWriter.StringSize(key.Length);

    /// <summary>The size of a key and a byte string of <paramref name="length"/> bytes.</summary>
    private static int Entry(string key, int length) => Key(key) + BencodeWriter.StringSize(length);

    /// <summary>The size of a key and an integer.</summary>
    private static int IntegerEntry(string key, long value) => Key(key) + IntegerSize(value);

    private static int IntegerSize(long value) => BencodeWriter.IntegerSize(value);

    private int VersionEntry() => _node.Options.Version.IsEmpty ? 0 : Entry("v", _node.Options.Version.Length);

    /// <summary>Takes back the count of a reply the transport did not send (counted when it was queued); a reply that left is measured.</summary>
    private sealed class NotSent(NodeContext node) : IOutboxSender
    {
        public void OnSent(object? state, int tag) => node.Metrics.ReplySent(tag);

        public void OnNotSent(object? state, int tag)
        {
            lock (node.Gate)
            {
                if (tag == 0)
                {
                    node.Counters.Answered--;
                }
                else
                {
                    node.Counters.ErrorSent((KrpcErrorCode)tag, -1);
                }
            }
        }
    }
}
