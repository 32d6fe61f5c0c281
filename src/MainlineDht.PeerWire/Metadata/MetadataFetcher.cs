using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.PeerWire.Wire;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Metadata;

/// <summary>
/// Fetches a torrent's metadata (its info dictionary) from peers, as a client given a magnet link
/// does (BEP 9 over BEP 10): several peers are asked at once, the first whose metadata hashes to
/// the infohash wins and the others are stopped; every peer gets a report.
/// </summary>
public static class MetadataFetcher
{
    /// <inheritdoc cref="FetchMetadataAsync(NodeId, IAsyncEnumerable{IPEndPoint}, MetadataFetchOptions?, CancellationToken)"/>
    public static Task<MetadataFetchResult> FetchMetadataAsync(NodeId infoHash, IEnumerable<IPEndPoint> peers, MetadataFetchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return FetchMetadataAsync(infoHash, Stream(peers), options, cancellationToken);
    }

    /// <summary>
    /// Asks <paramref name="peers"/> (taken as they come, e.g. streamed from a DHT lookup; each
    /// address once) for the metadata of <paramref name="infoHash"/>, up to
    /// <see cref="MetadataFetchOptions.MaxConcurrentPeers"/> at a time, each for at most
    /// <see cref="MetadataFetchOptions.PeerTimeout"/>. Returns at the first verified metadata (the
    /// other peers are stopped and the peer source is no longer read) or when every peer has
    /// failed. Network conditions are in the result, not thrown; cancellation is.
    /// </summary>
    public static async Task<MetadataFetchResult> FetchMetadataAsync(NodeId infoHash, IAsyncEnumerable<IPEndPoint> peers, MetadataFetchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        options ??= new MetadataFetchOptions();
        options.Validate();
        var fetch = new Fetch(infoHash, options, cancellationToken);
        try
        {
            await fetch.RunAsync(peers).ConfigureAwait(false);
        }
        finally
        {
            fetch.Dispose();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return fetch.Result();
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

    /// <summary>The state of one fetch: the peers running, their reports, the winner.</summary>
    private sealed class Fetch : IDisposable
    {
        private readonly NodeId _infoHash;
        private readonly MetadataFetchOptions _options;
        private readonly byte[] _peerId;
        private readonly CancellationTokenSource _done;
        private readonly SemaphoreSlim _slots;
        private readonly Lock _gate = new();
        private readonly List<PeerMetadataReport?> _reports = [];
        private readonly long _started;
        private TorrentInfo? _info;
        private IPEndPoint? _winner;
        private TimeSpan _elapsed;

        public Fetch(NodeId infoHash, MetadataFetchOptions options, CancellationToken cancellationToken)
        {
            _infoHash = infoHash;
            _options = options;
            _peerId = options.ResolvePeerId();
            _done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _slots = new SemaphoreSlim(options.MaxConcurrentPeers, options.MaxConcurrentPeers);
            _started = options.TimeProvider.GetTimestamp();
        }

        public async Task RunAsync(IAsyncEnumerable<IPEndPoint> peers)
        {
            var running = new List<Task>();
            var seen = new HashSet<IPEndPoint>();
            try
            {
                await foreach (IPEndPoint peer in peers.WithCancellation(_done.Token).ConfigureAwait(false))
                {
                    if (seen.Count >= _options.MaxPeers)
                    {
                        break;
                    }

                    if (!seen.Add(peer))
                    {
                        continue;
                    }

                    await _slots.WaitAsync(_done.Token).ConfigureAwait(false);
                    int slot;
                    lock (_gate)
                    {
                        slot = _reports.Count;
                        _reports.Add(null);
                    }

                    running.Add(RunPeerAsync(peer, slot));
                }
            }
            catch (OperationCanceledException) when (_done.IsCancellationRequested)
            {
                // A peer won, or the caller cancelled: either way no more peers are started.
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }

        public MetadataFetchResult Result()
        {
            lock (_gate)
            {
                return new MetadataFetchResult
                {
                    InfoHash = _infoHash,
                    Info = _info,
                    Peer = _winner,
                    Peers = _reports.OfType<PeerMetadataReport>().ToList(),
                    Elapsed = _info is null ? _options.TimeProvider.GetElapsedTime(_started) : _elapsed,
                };
            }
        }

        public void Dispose()
        {
            _done.Dispose();
            _slots.Dispose();
        }

        private async Task RunPeerAsync(IPEndPoint peer, int slot)
        {
            try
            {
                PeerMetadataReport report = await FetchFromAsync(peer).ConfigureAwait(false);
                lock (_gate)
                {
                    _reports[slot] = report;
                }
            }
            finally
            {
                _slots.Release();
            }
        }

        private async Task<PeerMetadataReport> FetchFromAsync(IPEndPoint peer)
        {
            long started = _options.TimeProvider.GetTimestamp();
            PeerMetadataReport Report(PeerOutcome outcome, string message, PeerProtocolError? error = null, MetadataExchange? exchange = null) =>
                new(peer, outcome, error, message, exchange?.Client, exchange?.MetadataSize, _options.TimeProvider.GetElapsedTime(started));

            if (!_options.Allows(peer))
            {
                return Report(PeerOutcome.Refused, "not contacted: only loopback peers are allowed");
            }

            using var timeout = new CancellationTokenSource(_options.PeerTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_done.Token, timeout.Token);
            MetadataExchange? exchange = null;
            try
            {
                PeerConnection connection;
                try
                {
                    connection = await PeerConnection.ConnectAsync(peer, _options.BindAddress, null, linked.Token).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    return Report(PeerOutcome.Unreachable, $"could not connect: {e.Message}");
                }

                await using (connection.ConfigureAwait(false))
                {
                    exchange = new MetadataExchange(connection, _infoHash, _options);
                    byte[] metadata = await exchange.RunAsync(_peerId, linked.Token).ConfigureAwait(false);
                    if (!TorrentInfo.TryParse(metadata, out TorrentInfo? info, out string? error))
                    {
                        return Report(PeerOutcome.ProtocolError, $"the metadata hashes right but is not a usable info dictionary: {error}", PeerProtocolError.InvalidMetadata, exchange);
                    }

                    bool won = false;
                    lock (_gate)
                    {
                        if (_info is null)
                        {
                            _info = info;
                            _winner = peer;
                            _elapsed = _options.TimeProvider.GetElapsedTime(_started);
                            won = true;
                        }
                    }

                    if (won)
                    {
                        await _done.CancelAsync().ConfigureAwait(false);
                    }

                    return Report(PeerOutcome.Succeeded, won
                        ? $"gave {metadata.Length} bytes of metadata, verified against the infohash"
                        : $"gave {metadata.Length} bytes of verified metadata after another peer", exchange: exchange);
                }
            }
            catch (PeerProtocolException e)
            {
                return Report(PeerOutcome.ProtocolError, e.Message, e.Error, exchange);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_done.IsCancellationRequested)
            {
                return Report(PeerOutcome.TimedOut, $"no metadata within {_options.PeerTimeout.TotalSeconds:0.#} s", exchange: exchange);
            }
            catch (OperationCanceledException) when (_done.IsCancellationRequested)
            {
                return Report(PeerOutcome.Cancelled, "stopped: another peer gave the metadata first, or the fetch was cancelled", exchange: exchange);
            }
            catch (SocketException e)
            {
                return Report(PeerOutcome.Unreachable, $"the connection failed: {e.Message}", exchange: exchange);
            }
        }
    }
}
