using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>BEP 51 <c>sample_infohashes</c>: the closest nodes, then a sample of the stored infohashes that fits.</summary>
internal sealed class SampleInfohashesHandler : IQueryHandler
{
    public static readonly SampleInfohashesHandler Instance = new();

    /// <summary>How long a crawler should wait before asking again (<c>interval</c>).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var sample = (SampleInfohashesQuery)query;
        reply.AddNodes(sample.Target, sample.Want);
        reply.AddSamples(Interval);
        reply.SendResponse();
    }
}
