using MainlineDht.Bencode;
using MainlineDht.Items;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// An iterative BEP 44 <c>get</c>: the nodes closest to an item's target and their write tokens
/// (kept on the candidates, for a <c>put</c>), and, with a collector, the item they return, checked
/// as it arrives (<see cref="ItemCollector"/>). With a collector that stops at the first item
/// (an immutable one: any valid copy is the item), the traversal ends as soon as one is found.
/// </summary>
internal class GetItemOperation(ILookupNetwork network, NodeId target, ItemCollector? items) : TraversalOperation(network, target)
{
    private GetQuery? _query;

    /// <inheritdoc/>
    public sealed override bool IsSatisfied => items is { IsSatisfied: true };

    /// <summary>The same query for every candidate (the node picks each transaction id): built once.</summary>
    public sealed override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
        _query ??= new GetQuery { Id = Network.LocalId, Target = Target, Want = Want, ReadOnly = Network.ReadOnly, Version = Network.Version, Padding = KrpcQuery.LargeReplyPadding };

    /// <summary>Offers the item a reply carries, if any, to the collector.</summary>
    public sealed override void OnResponse(Traversal.Candidate responder, KrpcResponse response) => items?.Offer(response);
}

/// <summary>
/// What the traversals of one item lookup found, from any number of traversals at once (one per
/// address family). Each value a node returns is checked before it counts: an immutable one must
/// hash to the target; a mutable one must carry the expected key, a sequence number and a signature
/// that verifies for that key, the salt, the sequence number and the value. Of valid mutable items
/// the one with the highest sequence number is kept.
/// </summary>
internal sealed class ItemCollector
{
    private readonly Lock _gate = new();
    private readonly NodeId _target;
    private readonly ReadOnlyMemory<byte> _publicKey;
    private readonly ReadOnlyMemory<byte> _salt;
    private readonly IItemSignatureVerifier? _verifier;
    private readonly bool _stopWhenFound;
    private DhtItem? _item;
    private int _rejected;

    private ItemCollector(NodeId target, ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> salt, IItemSignatureVerifier? verifier, bool stopWhenFound)
    {
        _target = target;
        _publicKey = publicKey;
        _salt = salt;
        _verifier = verifier;
        _stopWhenFound = stopWhenFound;
    }

    /// <summary>The target the item is looked up under.</summary>
    public NodeId Target => _target;

    /// <summary>The item found so far, if any.</summary>
    public DhtItem? Item
    {
        get
        {
            lock (_gate)
            {
                return _item;
            }
        }
    }

    /// <summary>Values returned that were not the item asked for (see <see cref="ItemLookupResult.Rejected"/>).</summary>
    public int Rejected
    {
        get
        {
            lock (_gate)
            {
                return _rejected;
            }
        }
    }

    /// <summary>True once the lookup has what it came for and may end early.</summary>
    public bool IsSatisfied => _stopWhenFound && Item is not null;

    /// <summary>Collects the immutable item under <paramref name="target"/>: the first value that hashes to it ends the lookup when <paramref name="stopWhenFound"/>.</summary>
    public static ItemCollector ForImmutable(NodeId target, bool stopWhenFound) => new(target, default, default, null, stopWhenFound);

    /// <summary>Collects the mutable item of <paramref name="publicKey"/> and <paramref name="salt"/>, each checked by <paramref name="verifier"/>.</summary>
    public static ItemCollector ForMutable(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> salt, IItemSignatureVerifier verifier) =>
        new(ItemTarget.ForMutable(publicKey.Span, salt.Span), publicKey, salt, verifier, stopWhenFound: false);

    /// <summary>Checks the item of <paramref name="response"/>, if it carries one, and keeps it when it is the best so far.</summary>
    public void Offer(KrpcResponse response)
    {
        ReadOnlySpan<byte> value = response.Value.Span;
        if (value.IsEmpty)
        {
            return;
        }

        if (value.Length > PutQuery.MaxValueSize || !BencodeReader.IsValid(value, default, out _, out _))
        {
            Reject(); // not an item BEP 44 allows (the codec read it as one value, less strictly)
        }
        else if (_publicKey.IsEmpty)
        {
            OfferImmutable(value);
        }
        else
        {
            OfferMutable(response, value);
        }
    }

    private void OfferImmutable(ReadOnlySpan<byte> value)
    {
        if (ItemTarget.ForImmutable(value) != _target)
        {
            Reject();
            return;
        }

        lock (_gate)
        {
            _item ??= DhtItem.Immutable(value);
        }
    }

    private void OfferMutable(KrpcResponse response, ReadOnlySpan<byte> value)
    {
        if (response.Sequence is not long sequence || !response.PublicKey.Span.SequenceEqual(_publicKey.Span))
        {
            Reject();
            return;
        }

        lock (_gate)
        {
            if (_item is not null && sequence <= _item.Sequence)
            {
                return; // no newer than what we have: not worth a signature check
            }
        }

        // Checked outside the lock: a verification is the costly part, and the two families' traversals may offer at once.
        if (!ItemSignature.Verify(_verifier!, _publicKey.Span, _salt.Span, sequence, value, response.Signature.Span))
        {
            Reject();
            return;
        }

        DhtItem item = DhtItem.Mutable(_publicKey.Span, _salt.Span, sequence, value, response.Signature.Span);
        lock (_gate)
        {
            if (_item is null || sequence > _item.Sequence)
            {
                _item = item;
            }
        }
    }

    private void Reject()
    {
        lock (_gate)
        {
            _rejected++;
        }
    }
}
