namespace MainlineDht.Transport;

/// <summary>
/// A deterministic clock for tests and simulations: time stands still until <see cref="Advance"/>
/// moves it, and timers fire in due-time order (ties in creation order) on the thread that
/// advances the clock. Ten thousand nodes can share one.
/// </summary>
public sealed class VirtualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<VirtualTimer, (long Due, long Sequence)> _queue = new();
    private readonly DateTimeOffset _epoch;
    private long _now;
    private long _sequence;

    /// <summary>Creates a clock that starts at <paramref name="start"/> (default 2026-01-01 UTC).</summary>
    public VirtualTimeProvider(DateTimeOffset? start = null) =>
        _epoch = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Virtual time elapsed since the start.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            lock (_gate)
            {
                return TimeSpan.FromTicks(_now);
            }
        }
    }

    /// <summary>Timers waiting to fire.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _epoch + Elapsed;

    /// <inheritdoc/>
    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _now + delta.Ticks;
        }

        RunUntil(target);
    }

    /// <summary>
    /// Fires timers in order until none is due by <paramref name="limit"/> from now or
    /// <paramref name="condition"/> holds; the clock stops at the last timer fired (or at the limit).
    /// Returns true when the condition was met.
    /// </summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(condition);
        long end;
        lock (_gate)
        {
            end = _now + limit.Ticks;
        }

        while (!condition())
        {
            if (!FireNext(end))
            {
                lock (_gate)
                {
                    _now = Math.Max(_now, end);
                }

                return condition();
            }
        }

        return true;
    }

    private void RunUntil(long target)
    {
        while (FireNext(target))
        {
        }

        lock (_gate)
        {
            _now = Math.Max(_now, target);
        }
    }

    private bool FireNext(long limit)
    {
        VirtualTimer timer;
        lock (_gate)
        {
            while (true)
            {
                if (!_queue.TryPeek(out timer!, out (long Due, long Sequence) key) || key.Due > limit)
                {
                    return false;
                }

                _queue.Dequeue();
                if (timer.ScheduledSequence == key.Sequence)
                {
                    _now = Math.Max(_now, key.Due);
                    timer.ScheduledSequence = -1;
                    if (timer.Period > 0)
                    {
                        Schedule(timer, _now + timer.Period);
                    }

                    break;
                }
            }
        }

        // Callbacks run as on a bare thread: a caller's synchronization context (a test
        // framework's, say) would otherwise push every continuation onto the thread pool and
        // out of virtual time.
        SynchronizationContext? context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            timer.Fire();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return true;
    }

    private void Schedule(VirtualTimer timer, long due)
    {
        timer.ScheduledSequence = ++_sequence;
        _queue.Enqueue(timer, (due, timer.ScheduledSequence));
    }

    private sealed class VirtualTimer(VirtualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long ScheduledSequence { get; set; } = -1;

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                ScheduledSequence = -1; // a queued entry with an old sequence is ignored
                Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    owner.Schedule(this, owner._now + Math.Max(0, dueTime.Ticks));
                }
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                ScheduledSequence = -1;
                Period = 0;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
