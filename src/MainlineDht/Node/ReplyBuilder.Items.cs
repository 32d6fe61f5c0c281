using MainlineDht.Storage;

namespace MainlineDht.Node;

// BEP 44: the item a get reply carries.
internal sealed partial class ReplyBuilder
{
    /// <summary>
    /// Adds a stored item to a <c>get</c> reply: its value (<c>v</c>), and for a mutable item its key
    /// (<c>k</c>), signature (<c>sig</c>) and sequence number (<c>seq</c>). When the querier gave a
    /// <c>seq</c> and the stored one is not greater, a mutable item is answered with its <c>seq</c>
    /// only (BEP 44: the querier already has that version or a newer one). The item is whole or not
    /// at all: add it before the nodes (<see cref="AddNodes"/>), which fill what is left of the
    /// 1,200-byte budget. The largest mutable item takes a reply past the budget (about 1,250 bytes),
    /// never past the amplification limit: for a source we never verified that did not pad its query
    /// enough (4 times the query) it is left out, the cut counted, and the reply carries the token and nodes.
    /// </summary>
    public void AddItem(StoredItem item, long? querySequence)
    {
        bool sequenceOnly = item.IsMutable && querySequence is long known && item.Sequence <= known;
        int size = item.IsMutable ? IntegerEntry("seq", item.Sequence) : 0;
        if (!sequenceOnly)
        {
            size += Key("v") + item.Value.Length; // the value is bencode already, written as it is
            if (item.IsMutable)
            {
                size += Entry("k", item.PublicKey.Length) + Entry("sig", item.Signature.Length);
            }
        }

        if (!_verified && _size + size > _itemLimit)
        {
            _node.Counters.RepliesCut++;
            return;
        }

        _size += size;
        if (item.IsMutable)
        {
            _itemSequence = item.Sequence;
            if (sequenceOnly)
            {
                return;
            }

            _itemKey = item.PublicKey;
            _itemSignature = item.Signature;
        }

        _itemValue = item.Value;
    }
}
