using System.Net;
using System.Net.Sockets;
using MainlineDht.Bencode;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Storage;

namespace MainlineDht;

// The node's use of its routing table and stores: everything here runs under the gate.
public sealed partial class DhtNode
{
    private void RoutingOnQuery(NodeId id, IPEndPoint source, DateTimeOffset now)
    {
        if (_routing.OnQuery(id, source, now))
        {
            Verify(id, source);
        }
    }

    private void RoutingOnReply(NodeId id, IPEndPoint source, TimeSpan roundTrip, DateTimeOffset now) =>
        Follow(_routing.OnReply(id, source, roundTrip, now));

    private void RoutingOnFailure(NodeId? id, IPEndPoint endPoint, DateTimeOffset now)
    {
        if (id is NodeId known)
        {
            Follow(_routing.OnFailure(known, endPoint, now));
        }
    }

    /// <summary>Does what the routing table asks: ping a questionable node before it may be evicted.</summary>
    private void Follow(RoutingOutcome outcome)
    {
        if (outcome.ShouldPing)
        {
            Verify(outcome.PingTarget.Id, outcome.PingTarget.EndPoint);
        }
    }

    /// <summary>Pings a node; its answer or its silence reaches the routing table through the reply and timeout paths.</summary>
    private void Verify(NodeId id, IPEndPoint endPoint) =>
        _ = SendQueryAsync(new PingQuery { Id = Id, ReadOnly = _options.ReadOnly, Version = _options.Version }, endPoint, id, CancellationToken.None);

    /// <summary>The nodes our replies hand out: recently answering ones, never one with a failure outstanding (see <see cref="RoutingTable.FindClosestToShare"/>).</summary>
    private int ClosestNodes(NodeId target, NodeEntry[] destination) =>
        _routing.FindClosestToShare(target, destination, _time.GetUtcNow());

    /// <summary>
    /// Upkeep: a bucket untouched for 15 minutes gets a <c>find_node</c> for a random id in its
    /// range, and candidates waiting for room are pinged.
    /// </summary>
    private void RefreshRouting(DateTimeOffset now)
    {
        if (_started && _routing.Count > 0)
        {
            foreach (NodeId target in _routing.GetBucketsNeedingRefresh(now, _random))
            {
                _ = FindNodeAsync(target, CancellationToken.None);
            }
        }

        foreach (NodeContact candidate in _routing.TakeCandidatesToVerify(BucketSize, now))
        {
            Verify(candidate.Id, candidate.EndPoint);
        }
    }

    private AnnounceOutcome StorePeer(NodeId infoHash, IPEndPoint peer, bool seed, DateTimeOffset now) =>
        _peers.Announce(infoHash, peer, seed, now);

    /// <summary>Writes up to <paramref name="max"/> random stored peers as a bencoded <c>values</c> list.</summary>
    private CompactPeerList WriteValues(NodeId infoHash, int max, AddressFamily family, bool noSeed, DateTimeOffset now)
    {
        Span<byte> compact = stackalloc byte[CompactFormat.PeerV6Size * 128];
        int entrySize = family == AddressFamily.InterNetwork ? CompactFormat.PeerV4Size : CompactFormat.PeerV6Size;
        max = Math.Min(max, compact.Length / entrySize);
        int count = _peers.GetPeers(infoHash, max, family, now, compact[..(max * entrySize)], noSeed);
        if (count == 0)
        {
            return default;
        }

        var writer = new BencodeWriter(_scratch.Values);
        writer.WriteStartList();
        for (int i = 0; i < count; i++)
        {
            writer.WriteString(compact.Slice(i * entrySize, entrySize));
        }

        writer.WriteEnd();
        return CompactPeerList.FromValidatedList(_scratch.Values.AsMemory(0, writer.BytesWritten), count);
    }

    /// <summary>BEP 33: the seeds' and downloaders' bloom filters, or empty ones when no peer is stored.</summary>
    private (ReadOnlyMemory<byte> Seeds, ReadOnlyMemory<byte> Peers) ScrapeFilters(NodeId infoHash, DateTimeOffset now)
    {
        if (!_peers.Scrape(infoHash, now, _scratch.SeedsFilter, _scratch.PeersFilter))
        {
            return default;
        }

        _scratch.SeedsFilter.Bits.CopyTo(_scratch.SeedsBits);
        _scratch.PeersFilter.Bits.CopyTo(_scratch.PeersBits);
        return (_scratch.SeedsBits, _scratch.PeersBits);
    }

    /// <summary>BEP 51: writes a random sample of stored infohashes, 20 bytes each; returns how many.</summary>
    private int SampleInfoHashes(Span<byte> destination)
    {
        int count = _peers.SampleInfoHashes(destination.Length / NodeId.Size, _random, _time.GetUtcNow(), _scratch.SampledIds);
        for (int i = 0; i < count; i++)
        {
            _scratch.SampledIds[i].WriteTo(destination[(i * NodeId.Size)..]);
        }

        return count;
    }

    private int StoredInfoHashCount => _peers.InfoHashCount;
}
