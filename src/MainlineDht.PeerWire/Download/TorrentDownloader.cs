using System.Net;
using MainlineDht.PeerWire.Torrent;

namespace MainlineDht.PeerWire.Download;

/// <summary>
/// Downloads a torrent's files from peers into an output folder: up to
/// <see cref="TorrentDownloaderOptions.MaxConnections"/> peers at once, pipelined 16 KiB block
/// requests, the SHA-1 of every piece checked before it is written, a piece that fails fetched
/// again from another peer. Files go to <c>output/name/…</c> (multi-file) or <c>output/name</c>;
/// BEP 47 pad files are not written.
/// </summary>
/// <remarks>
/// <see cref="ProgressChanged"/> is raised after every verified piece, from the task that
/// verified it: handlers may run concurrently and should be quick.
/// </remarks>
public sealed class TorrentDownloader
{
    private readonly string _outputDirectory;
    private long _bytesVerified;
    private long _started;
    private readonly Lock _gate = new();
    private readonly List<PeerSession> _sessions = [];

    /// <summary>Prepares a download of <paramref name="info"/> into <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="InvalidTorrentException">The piece length is above <see cref="TorrentDownloaderOptions.MaxPieceLength"/>.</exception>
    public TorrentDownloader(TorrentInfo info, string outputDirectory, TorrentDownloaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        Options = options ?? new TorrentDownloaderOptions();
        Options.Validate();
        if (info.PieceLength > Options.MaxPieceLength)
        {
            throw new InvalidTorrentException($"the piece length {info.PieceLength} is above the downloader's limit of {Options.MaxPieceLength} bytes");
        }

        Info = info;
        _outputDirectory = outputDirectory;
        PeerId = Options.ResolvePeerId();
        Picker = new PiecePicker(info.PieceCount);
        Storage = new TorrentStorage(info, outputDirectory);
    }

    /// <summary>Raised after every verified piece (see the remarks).</summary>
    public event EventHandler<DownloadProgress>? ProgressChanged;

    /// <summary>The torrent being downloaded.</summary>
    public TorrentInfo Info { get; }

    internal TorrentDownloaderOptions Options { get; }

    internal byte[] PeerId { get; }

    internal PiecePicker Picker { get; }

    internal TorrentStorage Storage { get; }

    private (long BytesReceived, int Connected) PeerTotals()
    {
        lock (_gate)
        {
            return (_sessions.Sum(s => s.BytesReceived), _sessions.Count(s => s.IsConnected));
        }
    }

    /// <inheritdoc cref="DownloadAsync(IAsyncEnumerable{IPEndPoint}, CancellationToken)"/>
    public Task<DownloadResult> DownloadAsync(IEnumerable<IPEndPoint> peers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return DownloadAsync(Stream(peers), cancellationToken);
    }

    /// <summary>
    /// Creates the files (truncating what was there), then downloads every piece from
    /// <paramref name="peers"/> (taken as they come; each address once). Returns when every piece
    /// is written, or when no peer is left that can give the rest (<see cref="DownloadResult.Completed"/>
    /// false). A download runs once per <see cref="TorrentDownloader"/>.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(IAsyncEnumerable<IPEndPoint> peers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        if (Interlocked.Exchange(ref _started, Options.TimeProvider.GetTimestamp()) != 0)
        {
            throw new InvalidOperationException("A TorrentDownloader runs one download.");
        }

        Storage.Create();
        using var finished = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sessions = new List<Task<PeerDownloadReport>>();
        Task feeding = FeedAsync(peers, sessions, finished.Token);
        // Feeding ends when the peer source is exhausted and every session has ended: then no
        // peer is left that could give the missing pieces.
        await Task.WhenAny(Picker.Finished, feeding).ConfigureAwait(false);

        TimeSpan elapsed = Options.TimeProvider.GetElapsedTime(_started);
        await finished.CancelAsync().ConfigureAwait(false);
        await feeding.ConfigureAwait(false);
        PeerDownloadReport[] reports = await Task.WhenAll(sessions).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new DownloadResult
        {
            Completed = Picker.Finished.IsCompleted,
            PiecesVerified = Picker.VerifiedCount,
            PieceCount = Info.PieceCount,
            BytesReceived = reports.Sum(r => r.BytesReceived),
            Elapsed = elapsed,
            Peers = reports,
            Files = Storage.FilePaths,
        };
    }

    /// <summary>Called by a session after a piece was verified and written.</summary>
    internal void OnPieceVerified(int piece, int length)
    {
        long bytes = Interlocked.Add(ref _bytesVerified, length);
        int verified = Picker.Verified(piece);
        (long received, int connected) = PeerTotals();
        ProgressChanged?.Invoke(this, new DownloadProgress(verified, Info.PieceCount, bytes, Info.TotalLength, received, connected,
            Options.TimeProvider.GetElapsedTime(_started)));
    }

    /// <summary>Starts a session per distinct peer, at most <see cref="TorrentDownloaderOptions.MaxConnections"/> at once.</summary>
    private async Task FeedAsync(IAsyncEnumerable<IPEndPoint> peers, List<Task<PeerDownloadReport>> sessions, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(Options.MaxConnections, Options.MaxConnections);
        var seen = new HashSet<IPEndPoint>();
        try
        {
            await foreach (IPEndPoint peer in peers.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (seen.Count >= Options.MaxPeers)
                {
                    break;
                }

                if (!seen.Add(peer))
                {
                    continue;
                }

                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var session = new PeerSession(this, peer);
                lock (_gate)
                {
                    _sessions.Add(session);
                    sessions.Add(RunSessionAsync(session, slots, cancellationToken));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The download finished or was cancelled: no more peers are started.
        }

        // The slots outlive this method in the sessions still running: wait for them first.
        Task[] running;
        lock (_gate)
        {
            running = [.. sessions];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task<PeerDownloadReport> RunSessionAsync(PeerSession session, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            return await session.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

#pragma warning disable CS1998 // an iterator over a list: nothing to await
    private static async IAsyncEnumerable<IPEndPoint> Stream(IEnumerable<IPEndPoint> peers)
#pragma warning restore CS1998
    {
        foreach (IPEndPoint peer in peers)
        {
            yield return peer;
        }
    }
}
