namespace MainlineDht.Protocol;

/// <summary>
/// The fields of a response as the encoder reads them: what a <see cref="KrpcResponse"/> holds (see
/// it for each field's meaning), in a struct, so that a node's reply is encoded without a message
/// object (<see cref="KrpcCodec.TryEncodeResponse"/>).
/// </summary>
internal readonly struct ResponseFields
{
    public NodeId Id { get; init; }

    public ReadOnlyMemory<byte> Nodes { get; init; }

    public ReadOnlyMemory<byte> Nodes6 { get; init; }

    public ReadOnlyMemory<byte> Token { get; init; }

    public CompactPeerList Values { get; init; }

    public ReadOnlyMemory<byte> SeedsFilter { get; init; }

    public ReadOnlyMemory<byte> PeersFilter { get; init; }

    public ReadOnlyMemory<byte> Samples { get; init; }

    public long? Num { get; init; }

    public long? Interval { get; init; }

    public ReadOnlyMemory<byte> Value { get; init; }

    public ReadOnlyMemory<byte> PublicKey { get; init; }

    public ReadOnlyMemory<byte> Signature { get; init; }

    public long? Sequence { get; init; }

    public KrpcResponseKeys IncludedKeys { get; init; }

    public ReadOnlyMemory<byte> TransactionId { get; init; }

    public ReadOnlyMemory<byte> ExternalAddress { get; init; }

    public ReadOnlyMemory<byte> Version { get; init; }

    /// <summary>The fields of <paramref name="r"/>.</summary>
    public static ResponseFields Of(KrpcResponse r) => new()
    {
        Id = r.Id,
        Nodes = r.Nodes,
        Nodes6 = r.Nodes6,
        Token = r.Token,
        Values = r.Values,
        SeedsFilter = r.SeedsFilter,
        PeersFilter = r.PeersFilter,
        Samples = r.Samples,
        Num = r.Num,
        Interval = r.Interval,
        Value = r.Value,
        PublicKey = r.PublicKey,
        Signature = r.Signature,
        Sequence = r.Sequence,
        IncludedKeys = r.IncludedKeys,
        TransactionId = r.TransactionId,
        ExternalAddress = r.ExternalAddress,
        Version = r.Version,
    };
}
