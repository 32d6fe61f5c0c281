using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

// What the crawl takes from an answer: the samples, the node's interval, the nodes to walk to.
internal sealed partial class Crawler
{
    private void Complete(InFlight query, RpcResult result, Queue<CrawledInfoHash> found)
    {
        long now = _time.GetTimestamp();
        long samples = 0, fresh = 0, replies = 0, withSamples = 0, errors = 0, timeouts = 0;
        switch (result.Status)
        {
            case RpcStatus.Response:
                KrpcResponse response = result.Response!;
                replies = 1;
                if (response.Id == query.Network.LocalId)
                {
                    break; // ourselves, under another address: nothing it says is news
                }

                if ((response.PresentKeys & KrpcResponseKeys.Samples) != 0)
                {
                    if (!query.Revisit)
                    {
                        withSamples = 1;
                    }

                    TimeSpan interval = TimeSpan.FromSeconds(Math.Clamp(response.Interval ?? 0, 0, (long)MaxInterval.TotalSeconds));
                    _schedule.Set(query.EndPoint, response.Id, now + Ticks(Max(interval, _options.MinimumInterval)), revisit: true, now);
                    var sampler = new NodeInfo(response.Id, query.EndPoint);
                    ReadOnlySpan<byte> bytes = response.Samples.Span;
                    for (int at = 0; at + NodeId.Size <= bytes.Length; at += NodeId.Size)
                    {
                        samples++;
                        var infoHash = new NodeId(bytes.Slice(at, NodeId.Size));
                        if (_seen.AddIfNew(infoHash))
                        {
                            fresh++;
                            found.Enqueue(new CrawledInfoHash(infoHash, sampler));
                        }
                    }
                }
                else
                {
                    // Answered (as find_node, most likely) without BEP 51: its nodes are all it has for us.
                    _schedule.Set(query.EndPoint, response.Id, now + Ticks(MaxInterval), revisit: false, now);
                }

                FollowNodes(query.Network, response, query.EndPoint, now);
                break;

            case RpcStatus.Error:
                errors = 1; // 204 from a node without BEP 51, most likely
                _schedule.Set(query.EndPoint, query.Id, now + Ticks(MaxInterval), revisit: false, now);
                break;

            case RpcStatus.Cancelled:
                break; // the crawl is ending

            default:
                timeouts = 1; // the wait set when it was sent stands
                break;
        }

        lock (_statisticsGate)
        {
            _statistics = _statistics with
            {
                Replies = _statistics.Replies + replies,
                NodesWithSamples = _statistics.NodesWithSamples + withSamples,
                Samples = _statistics.Samples + samples,
                NewInfoHashes = _statistics.NewInfoHashes + fresh,
                Errors = _statistics.Errors + errors,
                Timeouts = _statistics.Timeouts + timeouts,
                KnownNodes = _schedule.Count,
                QueuedNodes = _queue.Count,
            };
        }
    }

    /// <summary>
    /// Queues the nodes a reply returned in the network's own key (<c>nodes</c> on IPv4, <c>nodes6</c>
    /// on IPv6), skipping ourselves, addresses of the other family and what the network calls junk
    /// (<see cref="ILookupNetwork.ShouldFollow"/>: port 0, unusable addresses, our own endpoint…).
    /// </summary>
    private void FollowNodes(ILookupNetwork network, KrpcResponse response, IPEndPoint namedBy, long now)
    {
        bool v6 = network.Family == AddressFamily.InterNetworkV6;
        foreach (NodeInfo node in CompactFormat.EnumerateNodes(v6 ? response.Nodes6.Span : response.Nodes.Span, network.Family))
        {
            IPEndPoint endPoint = node.EndPoint;
            if (node.Id != network.LocalId && CompactFormat.IsV4(endPoint.Address) != v6 && network.ShouldFollow(node.Id, endPoint, namedBy))
            {
                Enqueue(node.Id, endPoint, now);
            }
        }
    }
}
