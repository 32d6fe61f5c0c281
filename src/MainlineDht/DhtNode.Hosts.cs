using System.Net;
using System.Net.Sockets;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht;

// What the node's components ask of it, answered by small adapters so that the interfaces they
// implement stay out of the node's public surface.
public sealed partial class DhtNode
{
    /// <summary>Under the gate: each engine's upkeep; buckets are refreshed once the node is started.</summary>
    private void RefreshRouting(DateTimeOffset now)
    {
        foreach (DhtEngine engine in _engines)
        {
            engine.Refresh(now, refreshBuckets: _started);
        }
    }

    /// <summary>The saved nodes, then the bootstrap endpoints, of <paramref name="family"/>.</summary>
    private IEnumerable<(NodeId? Id, IPEndPoint EndPoint)> BootstrapCandidates(AddressFamily family)
    {
        foreach (NodeInfo saved in _savedNodes)
        {
            if (DhtEngine.FamilyOf(saved.EndPoint) == family)
            {
                yield return (saved.Id, saved.EndPoint);
            }
        }

        foreach (IPEndPoint endPoint in _bootstrapEndPoints)
        {
            if (DhtEngine.FamilyOf(endPoint) == family)
            {
                yield return (null, endPoint);
            }
        }
    }

    private sealed class EngineHost(DhtNode node) : IEngineHost
    {
        public int FindClosestToShare(AddressFamily family, NodeId target, Span<RoutingNode> destination) =>
            node.EngineOf(family)?.FindOwnClosestToShare(target, destination) ?? 0;

        public IEnumerable<(NodeId? Id, IPEndPoint EndPoint)> BootstrapCandidates(AddressFamily family) => node.BootstrapCandidates(family);

        /// <summary>A lookup on the engine's family only: the bucket is that table's.</summary>
        public void RefreshBucket(DhtEngine engine, NodeId target) =>
            _ = new Lookups.LookupRunner([engine], node._time).FindNodeAsync(target, null, CancellationToken.None);

        public void OnExternalAddressSettled(DhtEngine engine, IPAddress address) => node.OnExternalAddressSettled(engine, address);

        public void AfterDatagram()
        {
            if (node._watchForLiveNode)
            {
                node.CheckJoined(); // a first live node may have entered a table
            }

            node.DeliverIdChange();
            node.CheckHealthAfterDatagram();
        }
    }

    private sealed class UpkeepHost(DhtNode node) : IUpkeepHost
    {
        public void RefreshRouting(DateTimeOffset now) => node.RefreshRouting(now);

        public Action? KeepJoined()
        {
            Joined joined = node.KeepJoined(out bool noLiveNodeLeft);
            if (joined == default && !noLiveNodeLeft)
            {
                return null;
            }

            return () =>
            {
                joined.Deliver(node);
                if (noLiveNodeLeft)
                {
                    Diagnostics.Log.NoLiveNodeLeft(node._context.Logger);
                }
            };
        }

        public void SaveState() => node.SaveState();

        public void CheckHealth() => node.CheckHealth();
    }
}
