using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MainlineDht.Protocol;

// A decoded message points into the datagram it was read from, and a transport reuses its receive
// buffer. A reply that completes one of our queries outlives the buffer: rather than decode it a
// second time over a copy, the node copies the datagram once and re-bases the message's slices
// onto that copy (each message type lists its own byte-string fields).

/// <summary>Maps slices of one datagram onto the same bytes in a copy of it.</summary>
internal readonly ref struct MemoryRebase
{
    private readonly ReadOnlySpan<byte> _original;
    private readonly ReadOnlyMemory<byte> _copy;

    public MemoryRebase(ReadOnlyMemory<byte> original, ReadOnlyMemory<byte> copy)
    {
        if (copy.Length != original.Length)
        {
            throw new ArgumentException("The copy must be as long as the original.", nameof(copy));
        }

        _original = original.Span;
        _copy = copy;
    }

    /// <summary>
    /// The slice of the copy at the offset <paramref name="field"/> has in the original; a field
    /// that is not a slice of the original (built by hand) is copied on its own.
    /// </summary>
    public ReadOnlyMemory<byte> Map(ReadOnlyMemory<byte> field)
    {
        if (field.IsEmpty)
        {
            return default;
        }

        ReadOnlySpan<byte> span = field.Span;
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(_original), ref MemoryMarshal.GetReference(span));
        return offset >= 0 && offset <= _original.Length - span.Length
            ? _copy.Slice((int)offset, span.Length)
            : span.ToArray();
    }

    public CompactPeerList Map(CompactPeerList values) =>
        values.IsEmpty ? values : CompactPeerList.FromValidatedList(Map(values.Encoded), values.Count);
}

public abstract partial class KrpcMessage
{
    /// <summary>
    /// The same message over <paramref name="copy"/>, a copy of the datagram <paramref name="original"/>
    /// it was decoded from: every byte-string field points into the copy instead.
    /// </summary>
    internal KrpcMessage Rebase(ReadOnlyMemory<byte> original, ReadOnlyMemory<byte> copy) => Rebase(new MemoryRebase(original, copy));

    private protected abstract KrpcMessage Rebase(in MemoryRebase map);
}

public sealed partial class PingQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new PingQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Padding = Padding,
    };
}

public sealed partial class FindNodeQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new FindNodeQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Padding = Padding, Target = Target, Want = Want,
    };
}

public sealed partial class GetPeersQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new GetPeersQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Padding = Padding, InfoHash = InfoHash, Want = Want, NoSeed = NoSeed, Scrape = Scrape,
    };
}

public sealed partial class AnnouncePeerQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new AnnouncePeerQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, InfoHash = InfoHash, Port = Port, ImpliedPort = ImpliedPort, Token = map.Map(Token), Seed = Seed,
    };
}

public sealed partial class SampleInfohashesQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new SampleInfohashesQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Padding = Padding, Target = Target, Want = Want,
    };
}

public sealed partial class GetQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new GetQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Padding = Padding, Target = Target, Sequence = Sequence, Want = Want,
    };
}

public sealed partial class PutQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new PutQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, Token = map.Map(Token), Value = map.Map(Value), PublicKey = map.Map(PublicKey),
        Signature = map.Map(Signature), Salt = map.Map(Salt), Sequence = Sequence, CompareAndSwap = CompareAndSwap,
    };
}

public sealed partial class UnknownQuery
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new UnknownQuery
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, ReadOnly = ReadOnly, MethodName = map.Map(MethodName), Target = Target, InfoHash = InfoHash, Want = Want,
    };
}

public sealed partial class KrpcResponse
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new KrpcResponse
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Id = Id, Nodes = map.Map(Nodes), Nodes6 = map.Map(Nodes6), Token = map.Map(Token), Values = map.Map(Values),
        SeedsFilter = map.Map(SeedsFilter), PeersFilter = map.Map(PeersFilter), Samples = map.Map(Samples),
        Num = Num, Interval = Interval, Value = map.Map(Value), PublicKey = map.Map(PublicKey), Signature = map.Map(Signature),
        Sequence = Sequence, IncludedKeys = IncludedKeys,
    };
}

public sealed partial class KrpcError
{
    private protected override KrpcMessage Rebase(in MemoryRebase map) => new KrpcError
    {
        TransactionId = map.Map(TransactionId), Version = map.Map(Version), ExternalAddress = map.Map(ExternalAddress),
        Code = Code, Message = map.Map(Message),
    };
}
