using MainlineDht.Diagnostics;
using MainlineDht.Items;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

// BEP 44: get and put over every running family.
internal sealed partial class LookupRunner
{
    /// <summary>
    /// An iterative <c>get</c> toward the collector's target on every family, the item each
    /// reply carries checked by the collector that both families share (an immutable lookup may end
    /// at the first valid copy), and the merged report.
    /// </summary>
    public async Task<ItemLookupResult> GetItemAsync(ItemCollector items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        NodeId target = items.Target;
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.GetItem, target);
        try
        {
            long started = _time.GetTimestamp();
            IReadOnlyList<FamilyTraversal<GetItemOperation>> runs =
                await RunAsync(n => new GetItemOperation(n, target, items), null, cancellationToken).ConfigureAwait(false);
            var result = new ItemLookupResult
            {
                Item = items.Item,
                Rejected = items.Rejected,
                Report = Report(target, runs, started, cancellationToken.IsCancellationRequested),
            };
            scope.Complete(result.Report, ("dht.item_found", result.Found));
            return result;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }

    /// <summary>
    /// Puts <paramref name="item"/> on every family: a <c>get</c> traversal toward its target, then
    /// <c>put</c> to the K closest nodes of that family that gave a token; what each answered, merged.
    /// </summary>
    public async Task<ItemPutResult> PutItemAsync(DhtItem item, long? compareAndSwap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.PutItem, item.Target);
        try
        {
            long started = _time.GetTimestamp();
            IReadOnlyList<FamilyTraversal<PutItemOperation>> runs =
                await RunAsync(n => new PutItemOperation(n, item, compareAndSwap), null, cancellationToken).ConfigureAwait(false);
            var result = new ItemPutResult
            {
                Item = item,
                Accepted = runs.SelectMany(r => r.Operation.Accepted).ToList(),
                Refused = runs.SelectMany(r => r.Operation.Refused).ToList(),
                Unanswered = runs.SelectMany(r => r.Operation.Unanswered).ToList(),
                Report = Report(item.Target, runs, started, cancellationToken.IsCancellationRequested),
            };
            scope.Complete(result.Report, ("dht.stored_by", result.Accepted.Count));
            return result;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }
}
