using System.Threading.Tasks.Sources;

namespace MainlineDht.Lookups;

/// <summary>
/// What a lookup loop (a <see cref="Traversal"/>, a crawl) waits on: set by any query completing, by
/// its timer and by cancellation. One reusable awaitable per loop, instead of a <c>Task.WhenAny</c>,
/// a delay and a linked token source per step. A set with nobody waiting is kept for the next wait.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core;
    private bool _pending;
    private bool _waiting;

    public void Set()
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                _pending = true;
                return;
            }

            _waiting = false;
        }

        _core.SetResult(true);
    }

    public ValueTask WaitAsync()
    {
        lock (_gate)
        {
            if (_pending)
            {
                _pending = false;
                return ValueTask.CompletedTask;
            }

            _core.Reset();
            _waiting = true;
            return new ValueTask(this, _core.Version);
        }
    }

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
