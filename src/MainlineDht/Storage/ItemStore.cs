using System.Diagnostics.CodeAnalysis;
using MainlineDht.Items;
using MainlineDht.Protocol;

namespace MainlineDht.Storage;

/// <summary>
/// The BEP 44 items other nodes put to us, served back in <c>get</c> replies: immutable items under
/// the SHA-1 of their bencoded value, mutable (signed) items under the SHA-1 of their public key and
/// salt, holding the key, salt, sequence number, signature and value. Every rule of BEP 44 is
/// applied here (<see cref="PutImmutable"/>, <see cref="PutMutable"/>); the write token is the
/// caller's to check before.
/// </summary>
/// <remarks>
/// <para>
/// Plain data, no I/O and no clock: every method takes the current time. Not thread-safe: the
/// node's event loop owns it. One store serves both address families.
/// </para>
/// <para>
/// Bounds (<see cref="ItemStoreOptions"/>): at most <see cref="ItemStoreOptions.MaxItems"/> items;
/// at the bound a new item replaces the least recently refreshed one. Items are kept in a list
/// ordered by their last put, so a put, an eviction and the expiry of one item are O(1).
/// </para>
/// <para>
/// Expiry: an item put at t is never returned at or after t + <see cref="ItemStoreOptions.ItemLifetime"/>;
/// <see cref="RemoveExpired"/>, which the node calls periodically, reclaims its memory. Put times are
/// kept monotonic: a clock stepping back never reorders items.
/// </para>
/// <para>
/// Mutable items need an <see cref="IItemSignatureVerifier"/>: a store given none refuses them
/// (<see cref="ItemPutOutcome.RefusedMutableNotSupported"/>, answered 202) and stores immutable
/// items only.
/// </para>
/// </remarks>
internal sealed partial class ItemStore
{
    private readonly ItemStoreOptions _options;
    private readonly IItemSignatureVerifier? _verifier;
    private readonly long _lifetimeTicks;
    private Dictionary<NodeId, StoredItem>? _items; // made at the first item (most nodes never store one)
    private StoredItem? _oldest;
    private StoredItem? _newest;

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">The bounds.</param>
    /// <param name="verifier">Checks mutable items' signatures; null to refuse mutable items.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ItemStore(ItemStoreOptions options, IItemSignatureVerifier? verifier)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _verifier = verifier;
        _lifetimeTicks = options.ItemLifetime.Ticks;
    }

    /// <summary>The bounds this store keeps.</summary>
    public ItemStoreOptions Options => _options;

    /// <summary>True when mutable items are accepted (a verifier was given).</summary>
    public bool AcceptsMutableItems => _verifier is not null;

    /// <summary>How many items are held (expired ones included until <see cref="RemoveExpired"/>).</summary>
    public int Count => _items?.Count ?? 0;

    /// <summary>
    /// The live item stored under <paramref name="target"/>, if any. The item's properties stay
    /// valid until the next put to this store; the bytes they point to never change.
    /// </summary>
    public bool TryGet(NodeId target, DateTimeOffset now, [NotNullWhen(true)] out StoredItem? item)
    {
        if (_items is not null && _items.TryGetValue(target, out item) && !IsExpired(item, now.UtcTicks))
        {
            return true;
        }

        item = null;
        return false;
    }

    /// <summary>Drops every expired item; returns how many went. O(expired items).</summary>
    public int RemoveExpired(DateTimeOffset now)
    {
        long nowTicks = now.UtcTicks;
        int removed = 0;
        while (_oldest is { } oldest && IsExpired(oldest, nowTicks))
        {
            Remove(oldest);
            removed++;
        }

        return removed;
    }

    private bool IsExpired(StoredItem item, long nowTicks) => item.RefreshedTicks <= nowTicks - _lifetimeTicks;

    // The live item under target, after dropping an expired one (an expired item is as good as absent).
    private StoredItem? Live(NodeId target, long nowTicks)
    {
        if (_items is null || !_items.TryGetValue(target, out StoredItem? item))
        {
            return null;
        }

        if (IsExpired(item, nowTicks))
        {
            Remove(item);
            return null;
        }

        return item;
    }

    // Adds a new item as the most recently refreshed one, dropping the least recently refreshed
    // one first when the store is full; returns the outcome to report.
    private ItemPutOutcome Add(StoredItem item, long nowTicks)
    {
        ItemPutOutcome outcome = ItemPutOutcome.Stored;
        if (Count >= _options.MaxItems && _oldest is { } oldest)
        {
            Remove(oldest);
            outcome = ItemPutOutcome.StoredReplacingOldest;
        }

        (_items ??= []).Add(item.Target, item);
        Append(item, nowTicks);
        return outcome;
    }

    // Moves an item to the most recently refreshed end with a new put time.
    private void Touch(StoredItem item, long nowTicks)
    {
        Unlink(item);
        Append(item, nowTicks);
    }

    private void Append(StoredItem item, long nowTicks)
    {
        item.RefreshedTicks = _newest is { } newest ? Math.Max(nowTicks, newest.RefreshedTicks) : nowTicks;
        item.Older = _newest;
        item.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = item;
        }
        else
        {
            _oldest = item;
        }

        _newest = item;
    }

    private void Remove(StoredItem item)
    {
        _items?.Remove(item.Target);
        Unlink(item);
    }

    private void Unlink(StoredItem item)
    {
        if (item.Older is { } older)
        {
            older.Newer = item.Newer;
        }
        else
        {
            _oldest = item.Newer;
        }

        if (item.Newer is { } newer)
        {
            newer.Older = item.Older;
        }
        else
        {
            _newest = item.Older;
        }

        item.Older = null;
        item.Newer = null;
    }
}
