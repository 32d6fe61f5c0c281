namespace MainlineDht.Simulation.Tests;

/// <summary>The one virtual clock: timers fire in due order, on the caller's thread, only while run.</summary>
public sealed class EventSchedulerTests
{
    [Test]
    public void Timers_FireInDueOrder_AndTimeStandsStillBetweenThem()
    {
        var clock = new EventScheduler(DateTimeOffset.UnixEpoch);
        var fired = new List<(string Name, long At)>();
        using ITimer late = clock.CreateTimer(_ => fired.Add(("late", clock.Now)), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using ITimer early = clock.CreateTimer(_ => fired.Add(("early", clock.Now)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using ITimer periodic = clock.CreateTimer(_ => fired.Add(("tick", clock.Now)), null, TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(700));

        Assert.That(fired, Is.Empty, "nothing runs by itself");
        clock.RunUntil(static () => false, TimeSpan.FromSeconds(2.5).Ticks);

        Assert.Multiple(() =>
        {
            Assert.That(fired.Select(f => f.Name), Is.EqualTo(new[] { "tick", "early", "tick", "late", "tick" }));
            Assert.That(fired.Select(f => f.At), Is.EqualTo(new[] { 7_000_000L, 10_000_000L, 14_000_000L, 20_000_000L, 21_000_000L }));
            Assert.That(clock.Now, Is.EqualTo(TimeSpan.FromSeconds(2.5).Ticks));
            Assert.That(clock.GetUtcNow(), Is.EqualTo(DateTimeOffset.UnixEpoch.AddSeconds(2.5)));
        });
    }

    [Test]
    public void ChangedOrDisposedTimers_DoNotFireAtTheirOldTime()
    {
        var clock = new EventScheduler(DateTimeOffset.UnixEpoch);
        var fired = new List<long>();
        ITimer moved = clock.CreateTimer(_ => fired.Add(clock.Now), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        ITimer disposed = clock.CreateTimer(_ => fired.Add(-1), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        moved.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        clock.RunUntil(static () => false, TimeSpan.FromSeconds(5).Ticks);
        moved.Dispose();

        Assert.That(fired, Is.EqualTo(new[] { TimeSpan.FromSeconds(3).Ticks }));
    }

    [Test]
    public async Task TaskDelay_OnTheClock_CompletesOnlyWhenRun()
    {
        var clock = new EventScheduler(DateTimeOffset.UnixEpoch);
        Task delay = Task.Delay(TimeSpan.FromMinutes(10), clock);

        Assert.That(delay.IsCompleted, Is.False);
        bool done = clock.RunUntil(() => delay.IsCompleted, TimeSpan.FromHours(1).Ticks);

        Assert.Multiple(() =>
        {
            Assert.That(done, Is.True);
            Assert.That(clock.Now, Is.EqualTo(TimeSpan.FromMinutes(10).Ticks));
        });
        await delay;
    }
}
