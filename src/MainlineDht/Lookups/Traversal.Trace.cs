using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

// The optional trace of a traversal (LookupOptions.Trace): one entry per query sent, filled in when
// its answer comes. Off, it is a null list and one test per query.
internal sealed partial class Traversal
{
    private List<LookupTraceEntry>? _trace;
    private long _traceStarted;

    /// <summary>The queries sent, in order, when <see cref="EnableTrace"/> was called; empty otherwise.</summary>
    public IReadOnlyList<LookupTraceEntry> Trace => _trace ?? (IReadOnlyList<LookupTraceEntry>)[];

    /// <summary>Records every query from now on (at most <see cref="LookupOptions.MaxTraceEntries"/>).</summary>
    public void EnableTrace()
    {
        _trace ??= [];
        _traceStarted = _time.GetTimestamp();
    }

    private void TraceSent(Candidate candidate)
    {
        if (_trace is null || _trace.Count >= LookupOptions.MaxTraceEntries)
        {
            return;
        }

        candidate.TraceIndex = _trace.Count;
        _trace.Add(new LookupTraceEntry
        {
            Round = candidate.Depth + 1,
            Id = candidate.Id,
            EndPoint = candidate.EndPoint,
            SharedPrefixBits = candidate.Id is NodeId id ? _target.CommonPrefixLength(id) : null,
            SentAfter = _time.GetElapsedTime(_traceStarted, candidate.SentAt),
        });
    }

    private void TraceCompleted(Candidate asked, RpcResult result)
    {
        if (_trace is null || asked.TraceIndex < 0)
        {
            return;
        }

        LookupTraceEntry entry = _trace[asked.TraceIndex];
        NodeId? id = result.Response?.Id ?? entry.Id;
        int nodes = 0;
        if (result.Response is KrpcResponse response)
        {
            nodes = Family == AddressFamily.InterNetworkV6
                ? response.Nodes6.Length / CompactFormat.NodeV6Size
                : response.Nodes.Length / CompactFormat.NodeV4Size;
        }

        _trace[asked.TraceIndex] = entry with
        {
            Id = id,
            SharedPrefixBits = id is NodeId known ? _target.CommonPrefixLength(known) : null,
            Status = result.Status,
            RoundTripTime = result.Answered ? result.RoundTripTime : null,
            NodesReturned = nodes,
            ValuesReturned = result.Response?.Values.Count ?? 0,
            ErrorCode = result.Error?.Code,
            ErrorMessage = result.Error?.MessageText,
        };
    }
}
