using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Items;

/// <summary>What a BEP 44 <c>get</c> lookup found (<see cref="DhtNode.GetItemAsync(NodeId, CancellationToken)"/>).</summary>
public sealed record ItemLookupResult
{
    /// <summary>
    /// The item, checked locally: an immutable value that hashes to the target, or the valid
    /// mutable item with the highest sequence number seen, signed by the key asked for. Null when
    /// no node returned one.
    /// </summary>
    public DhtItem? Item { get; init; }

    /// <summary>True when an item was found.</summary>
    public bool Found => Item is not null;

    /// <summary>
    /// Values nodes returned that were not the item asked for and were ignored: an immutable value
    /// that does not hash to the target, a mutable one under another key, without a sequence
    /// number or with a signature that does not verify.
    /// </summary>
    public int Rejected { get; init; }

    /// <summary>What the lookup did.</summary>
    public required LookupReport Report { get; init; }
}

/// <summary>What a BEP 44 <c>put</c> did (<see cref="DhtNode.PutImmutableAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, <see cref="DhtNode.PutMutableAsync"/>).</summary>
public sealed record ItemPutResult
{
    /// <summary>The item put.</summary>
    public required DhtItem Item { get; init; }

    /// <summary>The nodes that stored it (answered the <c>put</c> with a response), nearest the target first.</summary>
    public IReadOnlyList<NodeInfo> Accepted { get; init; } = [];

    /// <summary>
    /// The nodes that refused it, with the KRPC error each answered: 301 when <c>cas</c> did not
    /// match what it stores, 302 when it stores a higher sequence number, 206, 205, 207, 203, or
    /// 202 from a node that stores no mutable items. Nearest the target first.
    /// </summary>
    public IReadOnlyList<ItemPutRefusal> Refused { get; init; } = [];

    /// <summary>The nodes a <c>put</c> was sent to that did not answer it.</summary>
    public IReadOnlyList<NodeInfo> Unanswered { get; init; } = [];

    /// <summary>True when at least one node stored the item.</summary>
    public bool Stored => Accepted.Count > 0;

    /// <summary>The <c>get</c> traversal that found the nodes and their write tokens.</summary>
    public required LookupReport Report { get; init; }
}

/// <summary>A node that answered a <c>put</c> with an error.</summary>
/// <param name="Node">The node.</param>
/// <param name="Code">The KRPC error code (see <see cref="KrpcErrorCode"/>).</param>
/// <param name="Message">The error message it sent.</param>
public sealed record ItemPutRefusal(NodeInfo Node, int Code, string Message);
