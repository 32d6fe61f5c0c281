using System.Net;

namespace MainlineDht.PeerWire.Download;

/// <summary>Where a download stands, raised after every verified piece.</summary>
/// <param name="PiecesVerified">Pieces received, hash-checked and written.</param>
/// <param name="PieceCount">Pieces in the torrent.</param>
/// <param name="BytesVerified">The bytes of the verified pieces (pad files included, as the pieces cover them).</param>
/// <param name="TotalBytes">The torrent's data length.</param>
/// <param name="BytesReceived">Bytes read from peers so far, framing and rejected data included.</param>
/// <param name="ConnectedPeers">Peers connected right now.</param>
/// <param name="Elapsed">Since the download started.</param>
public sealed record DownloadProgress(int PiecesVerified, int PieceCount, long BytesVerified, long TotalBytes, long BytesReceived, int ConnectedPeers, TimeSpan Elapsed)
{
    /// <summary>Verified bytes as a fraction of the torrent, 0 to 1.</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesVerified / TotalBytes;
}

/// <summary>What one peer did during a download.</summary>
/// <param name="EndPoint">The peer.</param>
/// <param name="Outcome">How the connection ended: <see cref="PeerOutcome.Succeeded"/> when it was still useful when the download ended.</param>
/// <param name="Error">The protocol error, when <paramref name="Outcome"/> is <see cref="PeerOutcome.ProtocolError"/>.</param>
/// <param name="Message">What happened, for people.</param>
/// <param name="Client">The peer's client (<c>v</c> of its extended handshake), when it sent one.</param>
/// <param name="BytesReceived">Bytes read from it.</param>
/// <param name="PiecesVerified">Pieces it gave that passed their hash check.</param>
/// <param name="HashFailures">Pieces it gave that failed their hash check (each fetched again from another peer).</param>
/// <param name="Elapsed">From connecting to the end.</param>
public sealed record PeerDownloadReport(
    IPEndPoint EndPoint,
    PeerOutcome Outcome,
    PeerProtocolError? Error,
    string Message,
    string? Client,
    long BytesReceived,
    int PiecesVerified,
    int HashFailures,
    TimeSpan Elapsed);

/// <summary>The outcome of <see cref="TorrentDownloader.DownloadAsync(IAsyncEnumerable{IPEndPoint}, CancellationToken)"/>.</summary>
public sealed record DownloadResult
{
    /// <summary>True when every piece was verified and written.</summary>
    public required bool Completed { get; init; }

    /// <summary>Pieces verified and written.</summary>
    public required int PiecesVerified { get; init; }

    /// <summary>Pieces in the torrent.</summary>
    public required int PieceCount { get; init; }

    /// <summary>Bytes read from all peers.</summary>
    public required long BytesReceived { get; init; }

    /// <summary>From the start to the last piece written (or to giving up).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>One report per peer tried, in the order they were tried.</summary>
    public required IReadOnlyList<PeerDownloadReport> Peers { get; init; }

    /// <summary>The files written, full paths, in torrent order (pad files are not written).</summary>
    public required IReadOnlyList<string> Files { get; init; }
}
