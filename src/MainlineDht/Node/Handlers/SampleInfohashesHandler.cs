using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 51 <c>sample_infohashes</c>: the closest nodes, then a sample of the stored infohashes that
/// fits. Held to the 1,200-byte budget, not the amplification factor: crawlers are read-only
/// (BEP 43), so no node ever verifies them, and a sample cut to what fits 4 times the query (about 4
/// infohashes) would make every crawl ten times the queries. At most 40 infohashes and 8 nodes: a
/// reply of about 1,100 bytes.
/// </summary>
internal sealed class SampleInfohashesHandler : IQueryHandler
{
    public static readonly SampleInfohashesHandler Instance = new();

    /// <summary>How long a crawler should wait before asking again (<c>interval</c>).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var sample = (SampleInfohashesQuery)query;
        reply.HoldToBudget();
        reply.AddNodes(sample.Target, sample.Want);
        reply.AddSamples(Interval);
        reply.SendResponse();
    }
}
