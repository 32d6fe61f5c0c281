using System.Diagnostics.CodeAnalysis;
using System.Net;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Metadata;

/// <summary>
/// The outcome of <see cref="MetadataFetcher.FetchMetadataAsync(NodeId, IAsyncEnumerable{IPEndPoint}, MetadataFetchOptions?, CancellationToken)"/>:
/// the verified info dictionary and the peer that gave it, or nothing; and a report per peer tried.
/// </summary>
public sealed record MetadataFetchResult
{
    /// <summary>The infohash asked for.</summary>
    public required NodeId InfoHash { get; init; }

    /// <summary>The parsed info dictionary, whose SHA-1 is the infohash; null when no peer gave it.</summary>
    public TorrentInfo? Info { get; init; }

    /// <summary>The peer whose metadata was verified first; null when none.</summary>
    public IPEndPoint? Peer { get; init; }

    /// <summary>One report per peer tried, in the order they were tried.</summary>
    public required IReadOnlyList<PeerMetadataReport> Peers { get; init; }

    /// <summary>From the start of the fetch to the first verified metadata, or to the end.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True when a peer gave metadata that hashed to the infohash.</summary>
    [MemberNotNullWhen(true, nameof(Info), nameof(Peer))]
    public bool Succeeded => Info is not null;
}
