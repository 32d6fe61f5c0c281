using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 51 <c>sample_infohashes</c>: the closest nodes, then a sample of the stored infohashes that
/// fits (at most 40; for a source we never verified, what fits 4 times its query: our crawler pads
/// its queries to earn a whole sample, see <see cref="Protocol.KrpcQuery.Padding"/>).
/// </summary>
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
