using System.Diagnostics.Metrics;
using MainlineDht.Lookups;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// Runs one <see cref="DhtNode"/> for the host's lifetime. The socket is bound in
/// <see cref="StartAsync"/>, so a port in use fails the host's start; joining runs in the
/// background, and while it finds no node the node itself bootstraps again with a growing delay
/// (<see cref="MainlineDhtOptions.JoinRetryDelay"/> up to <see cref="MainlineDhtOptions.MaxJoinRetryDelay"/>):
/// the service only waits for its first live node. Stopping saves the state (when a state file is
/// set) and disposes the node.
/// </summary>
internal sealed class DhtNodeHostedService : BackgroundService, IAsyncDisposable
{
    private readonly MainlineDhtOptions _options;
    private readonly DhtNodeAccessor _accessor;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory _meterFactory;
    private readonly TimeProvider _time;
    private DhtNode? _node;

    public DhtNodeHostedService(
        IOptions<MainlineDhtOptions> options,
        DhtNodeAccessor accessor,
        IMeterFactory meterFactory,
        ILoggerFactory loggerFactory,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _accessor = accessor;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
        _logger = loggerFactory.CreateLogger<DhtNodeHostedService>();
        _time = timeProvider ?? TimeProvider.System;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The node logs through the host's loggers (category MainlineDht.DhtNode) and measures through its meter factory.
        DhtNodeOptions nodeOptions = _options.ToNodeOptions(_time, _loggerFactory, _meterFactory);
        DhtNode node;
        try
        {
            node = await DhtNode.StartAsync(nodeOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.StartFailed(_logger, e, EndPoints(nodeOptions.BindEndPoint, nodeOptions.BindEndPointV6));
            _accessor.OnStartFailed(e);
            throw;
        }

        _node = node;
        if (node.StateFileStatus is { } status)
        {
            Log.StateFileStatus(_logger, status);
        }

        Log.NodeStarted(_logger, node.Id.ToString(), EndPoints(node.LocalEndPoint, node.LocalEndPointV6));
        _accessor.OnStarted(node);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DhtNode node = _node ?? throw new InvalidOperationException("The node was not started.");
        long started = _time.GetTimestamp();
        try
        {
            // One join; when it finds no node the node itself bootstraps again (JoinRetryDelay,
            // doubling up to MaxJoinRetryDelay), so the service only waits for the first live node.
            LookupReport report = await node.JoinAsync(stoppingToken).ConfigureAwait(false);
            Task joined = node.WaitUntilJoinedAsync(stoppingToken);
            if (!joined.IsCompleted)
            {
                if (report.NodesQueried == 0 && _options.BootstrapNodes.Count == 0 && !_options.UsePublicRouters)
                {
                    // Nothing to join through: a first node of its own network; the table fills as others contact it.
                    Log.AwaitingContact(_logger);
                }
                else
                {
                    Log.JoinFoundNoNodes(_logger, _options.BootstrapNodes.Count, _options.UsePublicRouters ? "on" : "off", _options.JoinRetryDelay, _options.MaxJoinRetryDelay);
                }
            }

            await joined.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return; // the node stopped (the host is being disposed) before it joined
        }
        catch (Exception e)
        {
            // A failed join must not end the host: the node still serves, and bootstraps again by itself.
            Log.JoinFailed(_logger, e, _options.JoinRetryDelay);
            if (!await WaitUntilJoinedAsync(node, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }

        DhtNodeStatistics statistics = node.GetStatistics();
        Log.NodeJoined(_logger, statistics.RoutingTableSize, (long)_time.GetElapsedTime(started).TotalMilliseconds, (int)statistics.QueriesSent.GetValueOrDefault("find_node"));
        _accessor.OnJoined(node);
    }

    /// <summary>Waits for the node's first live node; false when the host stops first.</summary>
    private static async Task<bool> WaitUntilJoinedAsync(DhtNode node, CancellationToken stoppingToken)
    {
        try
        {
            await node.WaitUntilJoinedAsync(stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false; // the node stopped before it joined
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await StopNodeAsync(rethrow: true).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Reached without StopAsync when the host is disposed after a failed or skipped stop: the socket still closes.
        await StopNodeAsync(rethrow: false).ConfigureAwait(false);
        base.Dispose();
    }

    public override void Dispose()
    {
        // The synchronous path of the same (a host disposed with Dispose, not DisposeAsync). Disposing
        // a node does no network I/O: it closes the socket and, when set, writes the state file.
        StopNodeAsync(rethrow: false).GetAwaiter().GetResult();
        base.Dispose();
    }

    private async Task StopNodeAsync(bool rethrow)
    {
        DhtNode? node = Interlocked.Exchange(ref _node, null);
        if (node is null)
        {
            return;
        }

        _accessor.OnStopped();
        string id = node.Id.ToString();
        try
        {
            // Saved here to report it; disposing saves once more, after the last timer has stopped.
            if (node.Options.StateFile is { } stateFile && node.SaveState())
            {
                Log.StateSaved(_logger, stateFile);
            }

            await node.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.StopFailed(_logger, e, id);
            if (rethrow)
            {
                throw;
            }

            return;
        }

        Log.NodeStopped(_logger, id);
    }

    /// <summary>The node's endpoints for a log message: one, or both families' (<c>A and [B]</c>).</summary>
    private static string EndPoints(System.Net.IPEndPoint? v4, System.Net.IPEndPoint? v6) =>
        v4 is not null && v6 is not null && !v4.Equals(v6) ? $"{v4} and {v6}" : (v4 ?? v6)?.ToString() ?? "no endpoint";
}
