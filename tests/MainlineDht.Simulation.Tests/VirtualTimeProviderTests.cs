namespace MainlineDht.Simulation.Tests;

/// <summary>The one virtual clock: timers fire in due order, on the caller's thread, only while run.</summary>
public sealed class VirtualTimeProviderTests
{
    [Test]
    public void Timers_FireInDueOrder_AndTimeStandsStillBetweenThem()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        var fired = new List<(string Name, long At)>();
        using ITimer late = clock.CreateTimer(_ => fired.Add(("late", clock.Elapsed.Ticks)), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using ITimer early = clock.CreateTimer(_ => fired.Add(("early", clock.Elapsed.Ticks)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using ITimer periodic = clock.CreateTimer(_ => fired.Add(("tick", clock.Elapsed.Ticks)), null, TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(700));

        Assert.That(fired, Is.Empty, "nothing runs by itself");
        clock.Advance(TimeSpan.FromSeconds(2.5));

        Assert.Multiple(() =>
        {
            Assert.That(fired.Select(f => f.Name), Is.EqualTo(new[] { "tick", "early", "tick", "late", "tick" }));
            Assert.That(fired.Select(f => f.At), Is.EqualTo(new[] { 7_000_000L, 10_000_000L, 14_000_000L, 20_000_000L, 21_000_000L }));
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(2.5)));
            Assert.That(clock.GetUtcNow(), Is.EqualTo(DateTimeOffset.UnixEpoch.AddSeconds(2.5)));
        });
    }

    [Test]
    public void ChangedOrDisposedTimers_DoNotFireAtTheirOldTime()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        var fired = new List<long>();
        ITimer moved = clock.CreateTimer(_ => fired.Add(clock.Elapsed.Ticks), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        ITimer disposed = clock.CreateTimer(_ => fired.Add(-1), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        moved.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        clock.Advance(TimeSpan.FromSeconds(5));
        moved.Dispose();

        Assert.That(fired, Is.EqualTo(new[] { TimeSpan.FromSeconds(3).Ticks }));
    }

    [Test]
    public async Task TaskDelay_OnTheClock_CompletesOnlyWhenRun()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        Task delay = Task.Delay(TimeSpan.FromMinutes(10), clock);

        Assert.That(delay.IsCompleted, Is.False);
        bool done = clock.RunUntil(() => delay.IsCompleted, TimeSpan.FromHours(1));

        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True);
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromMinutes(10)));
        });
        await delay;
    }

    [Test]
    public void RunUntil_StopsAtTheEventThatMetTheCondition_OrMovesToTheLimit()
    {
        var clock = new VirtualTimeProvider();
        int fired = 0;
        using ITimer periodic = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        bool met = clock.RunUntil(() => fired == 3, TimeSpan.FromMinutes(1));
        Assert.Multiple(() =>
        {
            Assert.That(met, Is.True);
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(3)), "the clock stops at the event that met the condition");
        });

        bool never = clock.RunUntil(() => fired > 100, TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(never, Is.False);
            Assert.That(fired, Is.EqualTo(13));
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(13)), "then at the limit");
            Assert.That(clock.EventsRun, Is.EqualTo(13));
        });
    }

    [Test]
    public void Callbacks_RunOnTheCallersThread_WithoutItsSynchronizationContext()
    {
        var clock = new VirtualTimeProvider();
        SynchronizationContext? seen = new();
        int thread = -1;
        using ITimer timer = clock.CreateTimer(_ => (seen, thread) = (SynchronizationContext.Current, Environment.CurrentManagedThreadId), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var callers = new SynchronizationContext();
        SynchronizationContext? before = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(callers);
        try
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.That(SynchronizationContext.Current, Is.SameAs(callers), "the caller's context is back after the run");
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(before);
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.Null, "a test runner's context would move continuations off the loop");
            Assert.That(thread, Is.EqualTo(Environment.CurrentManagedThreadId));
            Assert.That(clock.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public void TheClock_StartsAtItsStart_AndRefusesToGoBack()
    {
        var clock = new VirtualTimeProvider();
        Assert.Multiple(() =>
        {
            Assert.That(clock.GetUtcNow(), Is.EqualTo(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.Zero));
            Assert.That(new VirtualTimeProvider(DateTimeOffset.UnixEpoch).GetUtcNow(), Is.EqualTo(DateTimeOffset.UnixEpoch));
            Assert.That(() => clock.Advance(TimeSpan.FromTicks(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => clock.RunUntil(() => false, TimeSpan.FromTicks(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
