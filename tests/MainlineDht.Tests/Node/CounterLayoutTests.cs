using MainlineDht.Node;
using MainlineDht.Protocol;

namespace MainlineDht.Tests.Node;

/// <summary>The node's per-method and per-reason counters are inline arrays of a fixed length: it must match the enums.</summary>
public sealed class CounterLayoutTests
{
    [Test]
    public void There_is_one_counter_per_query_method()
    {
        Assert.That(QueryMethods.Count, Is.EqualTo(Enum.GetValues<KrpcMethod>().Length));
        PerMethodCounts counts = default;
        Assert.That(((Span<long>)counts).Length, Is.EqualTo(QueryMethods.Count));
    }

    [Test]
    public void There_is_one_counter_and_one_name_per_reason_a_node_is_ignored()
    {
        Assert.That(ReplyNodeFilter.Count, Is.EqualTo(Enum.GetValues<IgnoredNodeReason>().Length));
        Assert.That(ReplyNodeFilter.Names, Has.Length.EqualTo(ReplyNodeFilter.Count));
        PerReasonCounts counts = default;
        Assert.That(((Span<long>)counts).Length, Is.EqualTo(ReplyNodeFilter.Count));
    }
}
