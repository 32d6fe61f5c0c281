namespace MainlineDht.PeerWire.Download;

/// <summary>
/// A wake-up for one waiting loop: <see cref="Arm"/> before looking at the state, then await the
/// task it returned if there was nothing to do; a <see cref="Set"/> after the arming completes it.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Arm()
    {
        lock (_gate)
        {
            if (_source.Task.IsCompleted)
            {
                _source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return _source.Task;
        }
    }

    public void Set()
    {
        lock (_gate)
        {
            _source.TrySetResult();
        }
    }
}
