namespace MainlineDht.PeerWire.Metadata;

/// <summary>How <see cref="MetadataFetcher"/> fetches a torrent's metadata (BEP 9) from peers.</summary>
public sealed record MetadataFetchOptions : PeerWireOptions
{
    /// <summary>The default <see cref="MaxMetadataSize"/>: 4 MiB.</summary>
    public const int DefaultMaxMetadataSize = 4 * 1024 * 1024;

    /// <summary>
    /// The largest <c>metadata_size</c> accepted (default 4 MiB; real info dictionaries are a few
    /// KiB to a few MiB). A peer announcing more is refused before anything is allocated.
    /// </summary>
    public int MaxMetadataSize { get; init; } = DefaultMaxMetadataSize;

    /// <summary>How many peers are asked at once (default 8).</summary>
    public int MaxConcurrentPeers { get; init; } = 8;

    /// <summary>How many distinct peers are tried at most before giving up (default 200).</summary>
    public int MaxPeers { get; init; } = 200;

    /// <summary>How long one peer may take, from connecting to the last piece (default 10 s).</summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many <c>ut_metadata</c> requests are outstanding with one peer at once (default 8).</summary>
    public int RequestPipeline { get; init; } = 8;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMetadataSize, 1, nameof(MaxMetadataSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentPeers, 1, nameof(MaxConcurrentPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeers, 1, nameof(MaxPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestPipeline, 1, nameof(RequestPipeline));
        if (PeerTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PeerTimeout), PeerTimeout, "The peer timeout must be positive.");
        }
    }
}
