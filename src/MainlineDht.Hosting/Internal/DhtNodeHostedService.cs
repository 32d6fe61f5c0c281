using MainlineDht.Lookups;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// Runs one <see cref="DhtNode"/> for the host's lifetime. The socket is bound in
/// <see cref="StartAsync"/>, so a port in use fails the host's start; joining runs in the
/// background and is retried, with a growing delay, while no bootstrap node answers. Stopping
/// saves the state (when a state file is set) and disposes the node.
/// </summary>
internal sealed class DhtNodeHostedService : BackgroundService, IAsyncDisposable
{
    private readonly MainlineDhtOptions _options;
    private readonly DhtNodeAccessor _accessor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private DhtNode? _node;

    public DhtNodeHostedService(
        IOptions<MainlineDhtOptions> options,
        DhtNodeAccessor accessor,
        DhtMetrics metrics,
        ILogger<DhtNodeHostedService> logger,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The metrics are taken only so that the meter exists from the host's start on.
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options.Value;
        _accessor = accessor;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        DhtNodeOptions nodeOptions = _options.ToNodeOptions(_time, warning => Log.NodeWarning(_logger, warning));
        DhtNode node;
        try
        {
            node = await DhtNode.StartAsync(nodeOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.StartFailed(_logger, e, nodeOptions.BindEndPoint);
            _accessor.OnStartFailed(e);
            throw;
        }

        _node = node;
        if (node.StateFileStatus is { } status)
        {
            Log.StateFileStatus(_logger, status);
        }

        Log.NodeStarted(_logger, node.Id.ToString(), node.LocalEndPoint);
        _accessor.OnStarted(node);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DhtNode node = _node ?? throw new InvalidOperationException("The node was not started.");
        TimeSpan delay = _options.JoinRetryDelay;
        bool nothingToJoinThrough = _options.BootstrapNodes.Count == 0 && !_options.UsePublicRouters;
        bool toldAwaiting = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                LookupReport report = await node.JoinAsync(stoppingToken).ConfigureAwait(false);
                int nodes = node.GetStatistics().RoutingTableSize;
                if (nodes > 0)
                {
                    Log.NodeJoined(_logger, nodes, (long)report.Elapsed.TotalMilliseconds, report.NodesQueried);
                    _accessor.OnJoined(node);
                    return;
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                if (!nothingToJoinThrough)
                {
                    Log.JoinFoundNoNodes(_logger, _options.BootstrapNodes.Count, _options.UsePublicRouters ? "on" : "off", delay);
                }
                else if (!toldAwaiting)
                {
                    // A first node of its own network: others join through it; the table fills as they do.
                    Log.AwaitingContact(_logger);
                    toldAwaiting = true;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed join must not end the host: the node still serves, and the next try may work.
                Log.JoinFailed(_logger, e, delay);
            }

            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            delay = delay * 2 < _options.MaxJoinRetryDelay ? delay * 2 : _options.MaxJoinRetryDelay;
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
}
