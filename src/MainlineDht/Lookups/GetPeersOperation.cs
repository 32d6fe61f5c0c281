using System.Net;
using System.Threading.Channels;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// An iterative <c>get_peers</c>: the nodes closest to an infohash, their write tokens (kept on the
/// candidates), and the peers they return, collected into a <see cref="PeerCollector"/> that the
/// traversals of both address families share.
/// </summary>
internal class GetPeersOperation(ILookupNetwork network, NodeId infoHash, PeerCollector peers) : TraversalOperation(network, infoHash)
{
    private GetPeersQuery? _query;

    /// <summary>The peers found, shared with the other family's traversal of the same lookup.</summary>
    public PeerCollector Peers { get; } = peers;

    /// <summary>True: the peers are held by the nodes nearest the infohash, and the nearest few are enough.</summary>
    public override bool SeeksValues => true;

    /// <summary>The same query for every candidate (the node picks each transaction id): built once.</summary>
    public sealed override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
        _query ??= new GetPeersQuery { Id = Network.LocalId, InfoHash = Target, Want = Want, ReadOnly = Network.ReadOnly, Version = Network.Version };

    /// <summary>Collects the valid peers of <c>values</c> (port 0 is no peer).</summary>
    public sealed override void OnResponse(Traversal.Candidate responder, KrpcResponse response)
    {
        foreach (ReadOnlySpan<byte> entry in response.Values)
        {
            if (CompactFormat.TryReadPeer(entry, out IPEndPoint? peer) && peer.Port != 0)
            {
                Peers.Add(peer);
            }
        }
    }
}

/// <summary>
/// The distinct peers of one lookup, in the order they arrived, from any number of traversals at
/// once; each new one also goes to an optional channel as it comes. At most
/// <see cref="MaxPeers"/> are kept: a lookup is not a way to fill our memory. With a clock, the time
/// the first peer came is kept too.
/// </summary>
internal sealed class PeerCollector(ChannelWriter<IPEndPoint>? sink = null, TimeProvider? time = null)
{
    public const int MaxPeers = 10_000;

    private readonly Lock _gate = new();
    private readonly List<IPEndPoint> _peers = [];
    private readonly HashSet<IPEndPoint> _seen = [];
    private long? _firstAt;

    /// <summary>When the first peer came (a timestamp of the clock given); null before, or without a clock.</summary>
    public long? FirstPeerAt
    {
        get
        {
            lock (_gate)
            {
                return _firstAt;
            }
        }
    }

    /// <summary>How many distinct peers were collected.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Takes <paramref name="peer"/> unless it is known or the bound is reached; a new one is written to the channel.</summary>
    public void Add(IPEndPoint peer)
    {
        lock (_gate)
        {
            if (_seen.Count < MaxPeers && _seen.Add(peer))
            {
                _firstAt ??= time?.GetTimestamp();
                _peers.Add(peer);
                sink?.TryWrite(peer);
            }
        }
    }

    /// <summary>A copy of the peers collected so far, in arrival order.</summary>
    public List<IPEndPoint> ToList()
    {
        lock (_gate)
        {
            return [.. _peers];
        }
    }
}
