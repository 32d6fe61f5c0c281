namespace MainlineDht.PeerWire.Download;

/// <summary>How a <see cref="TorrentDownloader"/> talks to peers.</summary>
public sealed record TorrentDownloaderOptions : PeerWireOptions
{
    /// <summary>How many peers are connected at once (default 8).</summary>
    public int MaxConnections { get; init; } = 8;

    /// <summary>How many distinct peers are tried at most (default 200).</summary>
    public int MaxPeers { get; init; } = 200;

    /// <summary>How many 16 KiB block requests are outstanding with one peer (default 16; less when its <c>reqq</c> says so).</summary>
    public int PipelineDepth { get; init; } = 16;

    /// <summary>
    /// How long a peer that has work may go without sending a block (or unchoking us) before it is
    /// dropped and its pieces go to other peers; also the bound on connecting and the handshake
    /// (default 30 s).
    /// </summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many pieces fail their SHA-1 check, a peer is dropped (default 3).</summary>
    public int MaxHashFailuresPerPeer { get; init; } = 3;

    /// <summary>
    /// The largest piece length downloaded (default 16 MiB): a peer holds at most
    /// <see cref="PipelineDepth"/> blocks plus two pieces in memory.
    /// </summary>
    public int MaxPieceLength { get; init; } = 16 * 1024 * 1024;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeers, 1, nameof(MaxPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(PipelineDepth, 1, nameof(PipelineDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PipelineDepth, 1024, nameof(PipelineDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHashFailuresPerPeer, 1, nameof(MaxHashFailuresPerPeer));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPieceLength, 1, nameof(MaxPieceLength));
        if (PeerTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PeerTimeout), PeerTimeout, "The peer timeout must be positive.");
        }
    }
}
