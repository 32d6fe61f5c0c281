using System.Net;

namespace MainlineDht.Protocol;

/// <summary>
/// A KRPC message (BEP 5): a query, a response or an error. Byte-string fields are
/// <see cref="ReadOnlyMemory{T}"/> slices: a decoded message points into the datagram it was read
/// from, so it is only valid as long as that buffer is.
/// </summary>
public abstract partial class KrpcMessage : IEquatable<KrpcMessage>
{
    private protected KrpcMessage()
    {
    }

    /// <summary>The transaction id (<c>t</c>), echoed by the replier.</summary>
    public ReadOnlyMemory<byte> TransactionId { get => _transactionId; init => _transactionId = value; }

    /// <summary>The client version (<c>v</c>, usually 2 letters and 2 version bytes); empty when absent.</summary>
    public ReadOnlyMemory<byte> Version { get => _version; init => _version = value; }

    /// <summary>
    /// BEP 42: the top-level <c>ip</c>, the requester's address as the replier saw it, in compact
    /// form (6 or 18 bytes); empty when absent.
    /// </summary>
    public ReadOnlyMemory<byte> ExternalAddress { get => _externalAddress; init => _externalAddress = value; }

    // Fields, not auto-properties, so that the decoder can refill a query it reuses (KrpcMessage.Reuse.cs).
    private protected ReadOnlyMemory<byte> _transactionId;
    private protected ReadOnlyMemory<byte> _version;
    private protected ReadOnlyMemory<byte> _externalAddress;

    /// <summary>The BEP 42 <c>ip</c> as an endpoint, or null when absent or malformed.</summary>
    public IPEndPoint? GetExternalEndPoint() =>
        CompactFormat.TryReadPeer(ExternalAddress.Span, out IPEndPoint? endPoint) ? endPoint : null;

    /// <inheritdoc/>
    public bool Equals(KrpcMessage? other) =>
        other is not null && other.GetType() == GetType()
        && Same(TransactionId, other.TransactionId)
        && Same(Version, other.Version)
        && Same(ExternalAddress, other.ExternalAddress)
        && EqualsCore(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KrpcMessage other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(GetType(), TransactionId.Length);

    private protected abstract bool EqualsCore(KrpcMessage other);

    private protected static bool Same(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) => a.Span.SequenceEqual(b.Span);
}

/// <summary>A KRPC query (<c>y</c> = <c>q</c>).</summary>
public abstract partial class KrpcQuery : KrpcMessage
{
    private protected KrpcQuery()
    {
    }

    /// <summary>Which method this is.</summary>
    public abstract KrpcMethod Method { get; }

    /// <summary>The querying node's id (<c>a.id</c>).</summary>
    public NodeId Id { get => _id; init => _id = value; }

    /// <summary>BEP 43: the querier is read-only (<c>ro</c> = 1): answer it, never add it to the routing table.</summary>
    public bool ReadOnly { get => _readOnly; init => _readOnly = value; }

    /// <summary>
    /// Bytes of padding the query carries in an argument <c>pad</c> (zeros; 0, the default: no
    /// <c>pad</c>), which every node ignores. A node that never verified us answers with at most a
    /// few times the query's size (our <see cref="DhtNodeOptions.AmplificationLimit"/>, the way QUIC
    /// treats an unvalidated client): a read-only querier that needs a large reply (BEP 51 samples,
    /// BEP 33 scrape filters, a BEP 44 item) pays for it in query bytes. Written for <c>ping</c>,
    /// <c>find_node</c>, <c>get_peers</c>, <c>sample_infohashes</c> and <c>get</c>; not read back by
    /// the decoder. At most <see cref="MaxPadding"/>.
    /// </summary>
    public int Padding
    {
        get => _padding;
        init => _padding = value is >= 0 and <= MaxPadding
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Padding), value, $"Padding must be from 0 to {MaxPadding} bytes.");
    }

    /// <summary>The most padding a query may carry: 1,000 bytes.</summary>
    public const int MaxPadding = 1000;

    /// <summary>
    /// The padding our lookups give a query whose reply is large (<c>sample_infohashes</c>, a scrape,
    /// <c>get</c>): 250 bytes make it about 340, so that 4 times it covers a full 1,200-byte reply
    /// and the largest BEP 44 item (about 1,250 bytes).
    /// </summary>
    internal const int LargeReplyPadding = 250;

    private protected int _padding;
    private protected NodeId _id;
    private protected bool _readOnly;

    private protected override bool EqualsCore(KrpcMessage other)
    {
        var q = (KrpcQuery)other;
        return Id == q.Id && ReadOnly == q.ReadOnly && Padding == q.Padding && QueryEquals(q);
    }

    private protected abstract bool QueryEquals(KrpcQuery other);
}

/// <summary>BEP 5 <c>ping</c>.</summary>
public sealed partial class PingQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.Ping;

    private protected override bool QueryEquals(KrpcQuery other) => true;
}

/// <summary>BEP 5 <c>find_node</c>.</summary>
public sealed partial class FindNodeQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.FindNode;

    /// <summary>The id whose closest nodes are wanted (<c>target</c>).</summary>
    public NodeId Target { get => _target; init => _target = value; }

    /// <summary>BEP 32 <c>want</c>.</summary>
    public WantFamilies Want { get => _want; init => _want = value; }

    private NodeId _target;
    private WantFamilies _want;

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is FindNodeQuery o && Target == o.Target && Want == o.Want;
}

/// <summary>BEP 5 <c>get_peers</c>, with BEP 32 and BEP 33 arguments.</summary>
public sealed partial class GetPeersQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.GetPeers;

    /// <summary>The torrent's infohash (<c>info_hash</c>).</summary>
    public NodeId InfoHash { get => _infoHash; init => _infoHash = value; }

    /// <summary>BEP 32 <c>want</c>.</summary>
    public WantFamilies Want { get => _want; init => _want = value; }

    /// <summary>BEP 33 <c>noseed</c> = 1: leave seeds out of <c>values</c>.</summary>
    public bool NoSeed { get => _noSeed; init => _noSeed = value; }

    /// <summary>BEP 33 <c>scrape</c> = 1: include the <c>BFsd</c>/<c>BFpe</c> bloom filters.</summary>
    public bool Scrape { get => _scrape; init => _scrape = value; }

    private NodeId _infoHash;
    private WantFamilies _want;
    private bool _noSeed;
    private bool _scrape;

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is GetPeersQuery o && InfoHash == o.InfoHash && Want == o.Want && NoSeed == o.NoSeed && Scrape == o.Scrape;
}

/// <summary>BEP 5 <c>announce_peer</c>.</summary>
public sealed partial class AnnouncePeerQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.AnnouncePeer;

    /// <summary>The torrent's infohash (<c>info_hash</c>).</summary>
    public NodeId InfoHash { get; init; }

    /// <summary>The peer's port (<c>port</c>); 0 when absent (only allowed with <see cref="ImpliedPort"/>).</summary>
    public int Port { get; init; }

    /// <summary><c>implied_port</c> = 1: use the UDP source port instead of <see cref="Port"/>.</summary>
    public bool ImpliedPort { get; init; }

    /// <summary>The write token from an earlier <c>get_peers</c> reply (<c>token</c>).</summary>
    public ReadOnlyMemory<byte> Token { get; init; }

    /// <summary>BEP 33 <c>seed</c> = 1: the announcer is a seed.</summary>
    public bool Seed { get; init; }

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is AnnouncePeerQuery o && InfoHash == o.InfoHash && Port == o.Port && ImpliedPort == o.ImpliedPort
        && Seed == o.Seed && Same(Token, o.Token);
}

/// <summary>BEP 51 <c>sample_infohashes</c>.</summary>
public sealed partial class SampleInfohashesQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.SampleInfohashes;

    /// <summary>The id whose closest nodes are returned alongside the samples (<c>target</c>).</summary>
    public NodeId Target { get; init; }

    /// <summary>BEP 32 <c>want</c>.</summary>
    public WantFamilies Want { get; init; }

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is SampleInfohashesQuery o && Target == o.Target && Want == o.Want;
}

/// <summary>BEP 44 <c>get</c>.</summary>
public sealed partial class GetQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.Get;

    /// <summary>The item's target: SHA-1 of the value (immutable) or of key and salt (mutable).</summary>
    public NodeId Target { get; init; }

    /// <summary>Only return a mutable item whose sequence number is greater than this (<c>seq</c>).</summary>
    public long? Sequence { get; init; }

    /// <summary>BEP 32 <c>want</c>.</summary>
    public WantFamilies Want { get; init; }

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is GetQuery o && Target == o.Target && Sequence == o.Sequence && Want == o.Want;
}

/// <summary>BEP 44 <c>put</c>: an immutable item (only <see cref="Value"/>) or a signed mutable item.</summary>
public sealed partial class PutQuery : KrpcQuery
{
    /// <summary>The largest bencoded value BEP 44 allows.</summary>
    public const int MaxValueSize = 1000;

    /// <summary>The largest salt BEP 44 allows.</summary>
    public const int MaxSaltSize = 64;

    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.Put;

    /// <summary>The write token (<c>token</c>).</summary>
    public ReadOnlyMemory<byte> Token { get; init; }

    /// <summary>The item, bencoded (<c>v</c>), at most 1000 bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; init; }

    /// <summary>Mutable items: the 32-byte ed25519 public key (<c>k</c>); empty for immutable items.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; init; }

    /// <summary>Mutable items: the 64-byte signature (<c>sig</c>).</summary>
    public ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>Mutable items: the optional salt (<c>salt</c>), at most 64 bytes.</summary>
    public ReadOnlyMemory<byte> Salt { get; init; }

    /// <summary>Mutable items: the sequence number (<c>seq</c>).</summary>
    public long? Sequence { get; init; }

    /// <summary>Mutable items: compare-and-swap, the sequence number expected to be stored (<c>cas</c>).</summary>
    public long? CompareAndSwap { get; init; }

    /// <summary>True for a mutable (signed) item.</summary>
    public bool IsMutable => !PublicKey.IsEmpty;

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is PutQuery o && Same(Token, o.Token) && Same(Value, o.Value) && Same(PublicKey, o.PublicKey)
        && Same(Signature, o.Signature) && Same(Salt, o.Salt) && Sequence == o.Sequence && CompareAndSwap == o.CompareAndSwap;
}

/// <summary>
/// A query whose method this library does not know. One that carries <c>target</c> or
/// <c>info_hash</c> is answered like <c>find_node</c> (forward compatibility); others get 204.
/// </summary>
public sealed partial class UnknownQuery : KrpcQuery
{
    /// <inheritdoc/>
    public override KrpcMethod Method => KrpcMethod.Unknown;

    /// <summary>The method name as sent (<c>q</c>).</summary>
    public ReadOnlyMemory<byte> MethodName { get; init; }

    /// <summary>The <c>target</c> argument, when present and 20 bytes.</summary>
    public NodeId? Target { get; init; }

    /// <summary>The <c>info_hash</c> argument, when present and 20 bytes.</summary>
    public NodeId? InfoHash { get; init; }

    /// <summary>BEP 32 <c>want</c>.</summary>
    public WantFamilies Want { get; init; }

    private protected override bool QueryEquals(KrpcQuery other) =>
        other is UnknownQuery o && Same(MethodName, o.MethodName) && Target == o.Target && InfoHash == o.InfoHash && Want == o.Want;
}

/// <summary>
/// A KRPC response (<c>y</c> = <c>r</c>). A response does not name its method: which fields are
/// present depends on the query it answers.
/// </summary>
public sealed partial class KrpcResponse : KrpcMessage
{
    /// <summary>The responding node's id (<c>r.id</c>).</summary>
    public NodeId Id { get; init; }

    /// <summary>Compact IPv4 nodes, 26 bytes each (<c>nodes</c>); empty when absent or empty (<see cref="PresentKeys"/> tells which).</summary>
    public ReadOnlyMemory<byte> Nodes { get; init; }

    /// <summary>BEP 32: compact IPv6 nodes, 38 bytes each (<c>nodes6</c>); empty when absent or empty (<see cref="PresentKeys"/> tells which).</summary>
    public ReadOnlyMemory<byte> Nodes6 { get; init; }

    /// <summary>The write token (<c>token</c>); empty when absent.</summary>
    public ReadOnlyMemory<byte> Token { get; init; }

    /// <summary>Compact peers (<c>values</c>).</summary>
    public CompactPeerList Values { get; init; }

    /// <summary>BEP 33: bloom filter of seeds (<c>BFsd</c>, 256 bytes); empty when absent.</summary>
    public ReadOnlyMemory<byte> SeedsFilter { get; init; }

    /// <summary>BEP 33: bloom filter of downloaders (<c>BFpe</c>, 256 bytes); empty when absent.</summary>
    public ReadOnlyMemory<byte> PeersFilter { get; init; }

    /// <summary>BEP 51: infohash samples, 20 bytes each (<c>samples</c>); empty when absent or empty (<see cref="PresentKeys"/> tells which).</summary>
    public ReadOnlyMemory<byte> Samples { get; init; }

    /// <summary>BEP 51: how many infohashes the replier stores (<c>num</c>).</summary>
    public long? Num { get; init; }

    /// <summary>BEP 51: seconds before the replier should be asked again (<c>interval</c>).</summary>
    public long? Interval { get; init; }

    /// <summary>BEP 44: the item, bencoded (<c>v</c> inside <c>r</c>); empty when absent.</summary>
    public ReadOnlyMemory<byte> Value { get; init; }

    /// <summary>BEP 44: the mutable item's public key (<c>k</c>); empty when absent.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; init; }

    /// <summary>BEP 44: the mutable item's signature (<c>sig</c>); empty when absent.</summary>
    public ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>BEP 44: the mutable item's sequence number (<c>seq</c>).</summary>
    public long? Sequence { get; init; }

    /// <summary>
    /// Keys written even when their value is empty (an empty string): a reply carries the keys its
    /// query type requires, with nothing in them when there is nothing to send. A key with a
    /// non-empty value is written whether listed or not. A decoded response lists every one of these
    /// keys it carried, empty or not.
    /// </summary>
    public KrpcResponseKeys IncludedKeys { get; init; }

    /// <summary>The keys of <see cref="KrpcResponseKeys"/> this response carries: <see cref="IncludedKeys"/> and those with a value.</summary>
    public KrpcResponseKeys PresentKeys =>
        IncludedKeys
        | (Nodes.IsEmpty ? KrpcResponseKeys.None : KrpcResponseKeys.Nodes)
        | (Nodes6.IsEmpty ? KrpcResponseKeys.None : KrpcResponseKeys.Nodes6)
        | (Samples.IsEmpty ? KrpcResponseKeys.None : KrpcResponseKeys.Samples);

    private protected override bool EqualsCore(KrpcMessage other) =>
        other is KrpcResponse o && Id == o.Id && PresentKeys == o.PresentKeys && Same(Nodes, o.Nodes) && Same(Nodes6, o.Nodes6) && Same(Token, o.Token)
        && Values.Equals(o.Values) && Same(SeedsFilter, o.SeedsFilter) && Same(PeersFilter, o.PeersFilter)
        && Same(Samples, o.Samples) && Num == o.Num && Interval == o.Interval && Same(Value, o.Value)
        && Same(PublicKey, o.PublicKey) && Same(Signature, o.Signature) && Sequence == o.Sequence;
}

/// <summary>A KRPC error (<c>y</c> = <c>e</c>): <c>e</c> = [code, message].</summary>
public sealed partial class KrpcError : KrpcMessage
{
    /// <summary>The error code (see <see cref="KrpcErrorCode"/>).</summary>
    public int Code { get; init; }

    /// <summary>The error message as sent (usually ASCII).</summary>
    public ReadOnlyMemory<byte> Message { get; init; }

    /// <summary>The message as text (Latin-1, so any bytes show).</summary>
    public string MessageText => System.Text.Encoding.Latin1.GetString(Message.Span);

    private protected override bool EqualsCore(KrpcMessage other) =>
        other is KrpcError o && Code == o.Code && Same(Message, o.Message);
}
