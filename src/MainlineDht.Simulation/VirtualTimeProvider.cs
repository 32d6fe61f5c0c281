namespace MainlineDht.Simulation;

/// <summary>
/// A deterministic virtual clock, and the event loop of everything that runs on it: the
/// <see cref="TimeProvider"/> that nodes on a <see cref="SimulatedNetwork"/> or an
/// <see cref="InMemoryNetwork"/> use (timestamps, query timeouts, upkeep timers, <c>Task.Delay</c>),
/// with the datagrams those networks have in flight, in one queue ordered by due time (ties in the
/// order queued).
/// </summary>
/// <remarks>
/// <para>
/// Time stands still between events: <see cref="Advance"/> and <see cref="RunUntil"/> take the next
/// event, move the clock to its due time and run it to completion on the calling thread, with no
/// synchronization context, so that the continuations it triggers (nodes on these networks run
/// theirs inline) stay inside the loop. A node therefore costs no thread and no OS timer, and a run
/// is a pure function of its inputs. Any number of nodes can share one clock.
/// </para>
/// <para>
/// A datagram in flight is a plain queue entry holding a buffer from the clock's own pool: no
/// timer object, no closure, and no garbage (a datagram spends many collections in flight while
/// thousands of others are delivered, so a buffer freshly allocated, or one the shared pool could
/// not keep, would age into the oldest generation before it died). A timer is one small object whose cancelled or changed entries stay queued and are
/// skipped when due (a generation number tells them apart).
/// </para>
/// </remarks>
public sealed partial class VirtualTimeProvider : TimeProvider
{
    private readonly EventQueue _queue = new();
    private readonly Lock _gate = new();

    /// <summary>The buffers of datagrams in flight, reused (under <see cref="_gate"/>).</summary>
    private readonly DatagramBufferPool _buffers = new();
    private readonly DateTimeOffset _epoch;
    private long _now;
    private long _sequence;
    private int _loopThread = -1;
    private long _foreignCalls;

    /// <summary>Creates a clock that reads <paramref name="start"/> (default 2026-01-01 00:00 UTC) until it is run.</summary>
    public VirtualTimeProvider(DateTimeOffset? start = null) =>
        _epoch = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Virtual time elapsed since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref _now));

    /// <summary>Virtual ticks since the start.</summary>
    internal long Now => Volatile.Read(ref _now);

    /// <summary>Events waiting: timers (including changed or disposed ones not yet due) and datagrams in flight.</summary>
    public int PendingEvents
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Events run so far (timers fired and datagrams handed on).</summary>
    public long EventsRun { get; private set; }

    /// <summary>
    /// Calls into the clock from another thread while it ran: each one is a continuation that
    /// escaped the loop, which makes a run nondeterministic. Zero in a sound simulation.
    /// </summary>
    public long ForeignThreadCalls => Interlocked.Read(ref _foreignCalls);

    /// <inheritdoc/>
    public override long GetTimestamp() => Volatile.Read(ref _now);

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => _epoch.AddTicks(Volatile.Read(ref _now));

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="duration"/>, running every event due on the way.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    public void Advance(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        RunUntilTicks(static () => false, Now + duration.Ticks);
    }

    /// <summary>
    /// Runs events in order until <paramref name="condition"/> holds (checked before each event) or
    /// no event is due within <paramref name="limit"/> from now; in the latter case the clock moves
    /// to the limit. Returns whether the condition holds.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is negative.</exception>
    public bool RunUntil(Func<bool> condition, TimeSpan limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, TimeSpan.Zero);
        return RunUntilTicks(condition, Now + limit.Ticks);
    }

    /// <summary>Queues a copy of <paramref name="datagram"/> for delivery after <paramref name="delayTicks"/>.</summary>
    internal void ScheduleDelivery(IDeliveryTarget target, ReadOnlySpan<byte> datagram, int source, long delayTicks)
    {
        lock (_gate)
        {
            CheckThread();
            byte[] data = _buffers.Rent(datagram.Length);
            datagram.CopyTo(data);
            Enqueue(new Event(target, data, datagram.Length, source), _now + Math.Max(0, delayTicks));
        }
    }

    /// <summary>
    /// Runs events in order until <paramref name="condition"/> holds or no event is due by
    /// <paramref name="endTicks"/>; in the latter case the clock moves to <paramref name="endTicks"/>.
    /// Returns whether the condition holds.
    /// </summary>
    internal bool RunUntilTicks(Func<bool> condition, long endTicks)
    {
        ArgumentNullException.ThrowIfNull(condition);
        SynchronizationContext? context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        int previous = Interlocked.Exchange(ref _loopThread, Environment.CurrentManagedThreadId);
        try
        {
            while (!condition())
            {
                if (!RunNext(endTicks))
                {
                    lock (_gate)
                    {
                        _now = Math.Max(_now, endTicks);
                    }

                    return condition();
                }
            }

            return true;
        }
        finally
        {
            Volatile.Write(ref _loopThread, previous);
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private bool RunNext(long limit)
    {
        Event next;
        lock (_gate)
        {
            while (true)
            {
                if (!_queue.TryPeek(limit, out next, out EventKey key))
                {
                    return false;
                }

                _queue.Dequeue();
                if (next.Data is not null)
                {
                    _now = key.Due;
                    break;
                }

                var timer = (Timer)next.Target;
                if (timer.Generation == key.Generation)
                {
                    _now = key.Due;
                    if (timer.Period > 0)
                    {
                        timer.Generation = ++_sequence;
                        Enqueue(new Event(timer), _now + timer.Period, timer.Generation);
                    }

                    break;
                }
            }
        }

        EventsRun++;
        if (next.Data is byte[] data)
        {
            try
            {
                ((IDeliveryTarget)next.Target).Deliver(data.AsMemory(0, next.Length), next.Source);
            }
            finally
            {
                lock (_gate)
                {
                    _buffers.Return(data);
                }
            }
        }
        else
        {
            ((Timer)next.Target).Fire();
        }

        return true;
    }

    private void Enqueue(Event item, long due, long generation = 0) =>
        _queue.Enqueue(item, new EventKey(due, ++_sequence, generation));

    private void CheckThread()
    {
        int loop = Volatile.Read(ref _loopThread);
        if (loop != -1 && loop != Environment.CurrentManagedThreadId)
        {
            Interlocked.Increment(ref _foreignCalls);
        }
    }

    /// <summary>One queued event: a datagram (<see cref="Data"/> set) or a timer firing.</summary>
    private readonly struct Event
    {
        public Event(Timer timer)
        {
            Target = timer;
        }

        public Event(IDeliveryTarget target, byte[] data, int length, int source)
        {
            Target = target;
            Data = data;
            Length = length;
            Source = source;
        }

        public object Target { get; }

        public byte[]? Data { get; }

        public int Length { get; }

        public int Source { get; }
    }

    private readonly record struct EventKey(long Due, long Sequence, long Generation) : IComparable<EventKey>
    {
        public int CompareTo(EventKey other)
        {
            int c = Due.CompareTo(other.Due);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }

    private sealed class Timer(VirtualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        // Released at disposal: a disposed timer's entry stays queued until its due time (a query's
        // timeout, seconds after its reply), and must not keep the query, its task and its reply alive.
        private TimerCallback? _callback = callback;
        private object? _state = state;

        /// <summary>The generation of the queued entry that is live; 0 when none is.</summary>
        public long Generation { get; set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                owner.CheckThread();
                Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
                Generation = 0;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Generation = owner._sequence + 1;
                    owner.Enqueue(new Event(this), owner._now + Math.Max(0, dueTime.Ticks), Generation);
                }
            }

            return true;
        }

        public void Fire() => _callback?.Invoke(_state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                Generation = 0;
                Period = 0;
                _callback = null;
                _state = null;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Where the clock hands a datagram when its latency has passed.</summary>
internal interface IDeliveryTarget
{
    /// <summary>Delivers <paramref name="datagram"/> (valid only during the call) sent from the network's endpoint number <paramref name="source"/>.</summary>
    void Deliver(ReadOnlyMemory<byte> datagram, int source);
}
