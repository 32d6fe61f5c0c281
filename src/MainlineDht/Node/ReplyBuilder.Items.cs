using MainlineDht.Storage;

namespace MainlineDht.Node;

// BEP 44: the item a get reply carries.
internal sealed partial class ReplyBuilder
{
    /// <summary>
    /// Adds a stored item to a <c>get</c> reply: its value (<c>v</c>), and for a mutable item its key
    /// (<c>k</c>), signature (<c>sig</c>) and sequence number (<c>seq</c>). When the querier gave a
    /// <c>seq</c> and the stored one is not greater, a mutable item is answered with its <c>seq</c>
    /// only (BEP 44: the querier already has that version or a newer one). The item is never cut to
    /// fit the budget: add it before the nodes (<see cref="AddNodes"/>), which fill what is left. For an
    /// unverified source the nodes fill what is left of the amplification limit (often none), but the
    /// item itself is sent whole (see <see cref="SendResponse"/>).
    /// </summary>
    public void AddItem(StoredItem item, long? querySequence)
    {
        if (item.IsMutable)
        {
            _itemSequence = item.Sequence;
            _size += IntegerEntry("seq", item.Sequence);
            if (querySequence is long known && item.Sequence <= known)
            {
                return;
            }

            _itemKey = item.PublicKey;
            _itemSignature = item.Signature;
            _size += Entry("k", _itemKey.Length) + Entry("sig", _itemSignature.Length);
        }

        _itemValue = item.Value;
        _size += Key("v") + _itemValue.Length; // the value is bencode already, written as it is
    }
}
