using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.PeerWire.Wire;

namespace MainlineDht.PeerWire.Download;

/// <summary>
/// One peer of a download: the handshake, <c>interested</c>, then two loops on one connection.
/// The reader takes <c>choke</c>/<c>unchoke</c>, <c>bitfield</c>/<c>have</c> and blocks, and checks
/// and writes each completed piece; the writer keeps up to the pipeline depth of 16 KiB requests
/// outstanding, claiming pieces from the shared <see cref="PiecePicker"/>. State both loops touch
/// is guarded by one lock.
/// </summary>
internal sealed partial class PeerSession
{
    /// <summary>Blocks that were never requested (or whose piece was given up) tolerated before the peer is dropped.</summary>
    private const int MaxUnrequestedBlocks = 64;

    private readonly TorrentDownloader _download;
    private readonly TorrentInfo _info;
    private readonly TorrentDownloaderOptions _options;
    private readonly IPEndPoint _peer;
    private readonly Lock _gate = new();
    private readonly List<ActivePiece> _active = [];
    private readonly HashSet<int> _failed = [];   // pieces this peer failed: never asked of it again
    private readonly AsyncSignal _wake = new();
    private readonly bool[] _has;
    private readonly int _maxActive;
    private bool _choked = true;
    private int _pipeline;
    private int _outstanding;
    private int _unrequested;
    private int _hashFailures;
    private int _verified;
    private string? _client;
    private PeerConnection? _connection;
    private CancellationTokenSource? _stall;

    public PeerSession(TorrentDownloader download, IPEndPoint peer)
    {
        _download = download;
        _info = download.Info;
        _options = download.Options;
        _peer = peer;
        _has = new bool[_info.PieceCount];
        _pipeline = _options.PipelineDepth;
        // Enough pieces in flight to keep the pipeline full across a piece boundary, and no more:
        // a peer holds at most the pipeline's blocks plus two pieces.
        _maxActive = (int)Math.Min(_options.PipelineDepth, ((long)_options.PipelineDepth * PeerWireLimits.BlockLength + _info.PieceLength - 1) / _info.PieceLength) + 1;
    }

    /// <summary>Bytes read from the peer so far.</summary>
    public long BytesReceived => _connection?.BytesReceived ?? 0;

    /// <summary>True while connected and past the handshake.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>Runs the session until the download finishes, the peer fails, or it has nothing left to give.</summary>
    public async Task<PeerDownloadReport> RunAsync(CancellationToken finished)
    {
        long started = _options.TimeProvider.GetTimestamp();
        PeerDownloadReport Report(PeerOutcome outcome, string message, PeerProtocolError? error = null) =>
            new(_peer, outcome, error, message, _client, _connection?.BytesReceived ?? 0, _verified, _hashFailures, _options.TimeProvider.GetElapsedTime(started));

        if (!_options.Allows(_peer))
        {
            return Report(PeerOutcome.Refused, "not contacted: only loopback peers are allowed");
        }

        _stall = new CancellationTokenSource(_options.PeerTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(finished, _stall.Token);
        try
        {
            try
            {
                _connection = await PeerConnection.ConnectAsync(_peer, _options.BindAddress, null, linked.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return Report(PeerOutcome.Unreachable, $"could not connect: {e.Message}");
            }

            await using (_connection.ConfigureAwait(false))
            {
                await StartAsync(linked.Token).ConfigureAwait(false);
                await RunLoopsAsync(linked.Token).ConfigureAwait(false);
            }

            return Report(PeerOutcome.Succeeded, $"gave {_verified} verified pieces");
        }
        catch (PeerProtocolException) when (finished.IsCancellationRequested && _verified > 0)
        {
            // The download ended and the connection went with it: what this peer gave counts.
            return Report(PeerOutcome.Succeeded, $"gave {_verified} verified pieces");
        }
        catch (PeerProtocolException e)
        {
            return Report(PeerOutcome.ProtocolError, e.Message, e.Error);
        }
        catch (OperationCanceledException) when (finished.IsCancellationRequested)
        {
            return Report(_verified > 0 ? PeerOutcome.Succeeded : PeerOutcome.Cancelled, _verified > 0
                ? $"gave {_verified} verified pieces"
                : "stopped: the download ended before this peer gave a piece");
        }
        catch (OperationCanceledException) when (_stall.IsCancellationRequested)
        {
            string why = _connection is null || !IsConnected
                ? $"no connection and handshake within {_options.PeerTimeout.TotalSeconds:0.#} s"
                : $"no data for {_options.PeerTimeout.TotalSeconds:0.#} s while it had work (choked, or requests unanswered, or none of the pieces still needed)";
            return Report(PeerOutcome.TimedOut, why, PeerProtocolError.Stalled);
        }
        catch (SocketException e)
        {
            return Report(PeerOutcome.Unreachable, $"the connection failed: {e.Message}");
        }
        finally
        {
            IsConnected = false;
            ReleaseAll();
            _stall.Dispose();
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        PeerHandshake handshake = await _connection!.HandshakeAsync(_info.InfoHash, _download.PeerId, cancellationToken).ConfigureAwait(false);
        IsConnected = true;
        byte[] hello = new byte[256];
        int length = 0;
        if (handshake.SupportsExtensions)
        {
            // No extension offered (m is empty): only our reqq and client name.
            byte[] extended = new ExtendedHandshake { RequestQueue = 0, Client = _options.ClientVersion }.Encode();
            length += PeerMessages.WriteExtended(hello, ExtendedHandshake.HandshakeId, extended);
        }

        length += PeerMessages.WriteSimple(hello.AsSpan(length), PeerMessageId.Interested);
        await _connection.SendAsync(hello.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the reader and the writer; when one ends the other is stopped, and the first one's ending is the session's.</summary>
    private async Task RunLoopsAsync(CancellationToken cancellationToken)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task reader = ReadLoopAsync(end.Token);
        Task writer = WriteLoopAsync(end.Token);
        Task first = await Task.WhenAny(reader, writer).ConfigureAwait(false);
        await end.CancelAsync().ConfigureAwait(false);
        Task other = first == reader ? writer : reader;
        try
        {
            await other.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or PeerProtocolException { Error: PeerProtocolError.ConnectionClosed } or SocketException)
        {
            // The other loop ends because the first one did (cancelled, or its connection is being
            // closed): the first one's ending, thrown below, is what the report says.
        }

        await first.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        byte[] batch = new byte[_options.PipelineDepth * PeerMessages.RequestLength];
        while (true)
        {
            Task woken = _wake.Arm();
            Task changed = _download.Picker.Changed.Arm();
            ClaimResult status;
            int length;
            bool idle;
            lock (_gate)
            {
                if (_choked)
                {
                    length = 0;
                    status = ClaimResult.AllTaken;
                }
                else
                {
                    length = FillRequests(batch, out status);
                }

                idle = _active.Count == 0;
            }

            if (length > 0)
            {
                await _connection!.SendAsync(batch.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (status == ClaimResult.Finished)
            {
                // Every piece is verified: the download cancels the session.
                await Task.Delay(Timeout.InfiniteTimeSpan, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            bool parked;
            lock (_gate)
            {
                // Waiting while others fetch the pieces it could give is no stall; waiting to be
                // unchoked, for blocks, or for a have of something still needed is.
                parked = idle && !_choked && status == ClaimResult.AllTaken;
            }

            _stall!.CancelAfter(parked ? Timeout.InfiniteTimeSpan : _options.PeerTimeout);
            await Task.WhenAny(woken, changed).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes requests until the pipeline is full; under the lock.</summary>
    private int FillRequests(Span<byte> batch, out ClaimResult status)
    {
        status = ClaimResult.Claimed;
        int length = 0;
        while (_outstanding < _pipeline)
        {
            ActivePiece? piece = _active.Find(p => p.NextBlock < p.BlockCount);
            if (piece is null)
            {
                if (_active.Count >= _maxActive)
                {
                    break;
                }

                status = _download.Picker.TryClaim(i => _has[i], _failed, out int index);
                if (status != ClaimResult.Claimed)
                {
                    break;
                }

                piece = new ActivePiece(index, _info.GetPieceLength(index));
                _active.Add(piece);
            }

            int block = piece.NextBlock++;
            int offset = block * PeerWireLimits.BlockLength;
            length += PeerMessages.WriteRequest(batch[length..], piece.Index, offset, Math.Min(PeerWireLimits.BlockLength, piece.Length - offset));
            _outstanding++;
        }

        return length;
    }

    /// <summary>Gives every claimed piece back to the pool (the peer choked us or is gone).</summary>
    private void ReleaseAll()
    {
        List<ActivePiece> released;
        lock (_gate)
        {
            released = [.. _active];
            _active.Clear();
            _outstanding = 0;
        }

        foreach (ActivePiece piece in released)
        {
            piece.Dispose();
            _download.Picker.Release(piece.Index);
        }
    }

    /// <summary>A piece being fetched from this peer: its pooled buffer and which blocks came.</summary>
    private sealed class ActivePiece(int index, int length) : IDisposable
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(length);

        public int Index { get; } = index;

        public int Length { get; } = length;

        public int BlockCount { get; } = (length + PeerWireLimits.BlockLength - 1) / PeerWireLimits.BlockLength;

        /// <summary>The next block to request (blocks are requested in order).</summary>
        public int NextBlock { get; set; }

        public bool[] Received { get; } = new bool[(length + PeerWireLimits.BlockLength - 1) / PeerWireLimits.BlockLength];

        public int ReceivedCount { get; set; }

        public Span<byte> Data => _buffer.AsSpan(0, Length);

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

        public void Dispose()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
    }
}
