namespace MainlineDht.Hosting.Internal;

/// <summary>The hosted service's side of <see cref="IDhtNodeAccessor"/>: it reports start, join, failure and stop.</summary>
internal sealed class DhtNodeAccessor : IDhtNodeAccessor
{
    private readonly TaskCompletionSource<DhtNode> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<DhtNode> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile DhtNode? _node;
    private volatile bool _stopped;
    private volatile Exception? _startFailure;

    public DhtNode? Node => _node;

    /// <summary>Why the node could not start, when it could not (for the health check).</summary>
    public Exception? StartFailure => _startFailure;

    public Task<DhtNode> GetNodeAsync(CancellationToken cancellationToken = default) => Wait(_started.Task, cancellationToken);

    public Task<DhtNode> GetJoinedNodeAsync(CancellationToken cancellationToken = default) => Wait(_joined.Task, cancellationToken);

    public void OnStarted(DhtNode node)
    {
        _node = node;
        _started.TrySetResult(node);
    }

    public void OnJoined(DhtNode node) => _joined.TrySetResult(node);

    public void OnStartFailed(Exception exception)
    {
        _startFailure = exception;
        _started.TrySetException(exception);
        _joined.TrySetException(exception);

        // Nobody may be waiting: mark the faults observed so they do not resurface as unobserved.
        _ = _started.Task.Exception;
        _ = _joined.Task.Exception;
    }

    public void OnStopped()
    {
        _stopped = true;
        _node = null;
        _started.TrySetException(Stopped());
        _joined.TrySetException(Stopped());
        _ = _started.Task.Exception;
        _ = _joined.Task.Exception;
    }

    private Task<DhtNode> Wait(Task<DhtNode> task, CancellationToken cancellationToken)
    {
        // A node handed out before the stop is disposed now: later callers get the stop, not the corpse.
        if (_stopped && task.IsCompletedSuccessfully)
        {
            return Task.FromException<DhtNode>(Stopped());
        }

        return task.WaitAsync(cancellationToken);
    }

    private static InvalidOperationException Stopped() => new("The DHT node has stopped: the host that ran it stopped.");
}
