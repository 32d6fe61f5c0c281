namespace MainlineDht.Simulation.Tests;

/// <summary>
/// What keeps a join by lookups affordable at 100,000 nodes: the clock's calendar queue keeps the
/// heap's order, datagrams in flight reuse their buffers, and a join wave runs a bounded number of
/// joins at once.
/// </summary>
public sealed class EventQueueAndJoinScheduleTests
{
    [Test]
    public void Events_RunInDueOrder_TiesInTheOrderQueued_NearAndFarAndQueuedWhileRunning()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        var random = new Random(7);
        var expected = new List<(long Due, int Order)>();
        var fired = new List<(long Due, int Order)>();
        var timers = new List<ITimer>();
        int order = 0;

        void Schedule(long delayTicks, int depth)
        {
            int mine = order++;
            long due = clock.Elapsed.Ticks + delayTicks;
            expected.Add((due, mine));
            timers.Add(clock.CreateTimer(_ =>
            {
                fired.Add((clock.Elapsed.Ticks, mine));
                if (depth < 2)
                {
                    // Queued while the clock runs: into the slot being taken from, the next ones, and past the ring.
                    Schedule(0, depth + 1);
                    Schedule(random.Next(3) * 1_000, depth + 1);
                    Schedule(TimeSpan.FromSeconds(random.Next(1, 5)).Ticks, depth + 1);
                }
            }, null, TimeSpan.FromTicks(delayTicks), Timeout.InfiniteTimeSpan));
        }

        for (int i = 0; i < 2_000; i++)
        {
            // Many ties (whole milliseconds, a few ticks apart), within the ring's second and far beyond it.
            long delay = random.Next(4) switch
            {
                0 => random.Next(50) * TimeSpan.TicksPerMillisecond,
                1 => (random.Next(50) * TimeSpan.TicksPerMillisecond) + random.Next(3),
                2 => TimeSpan.FromSeconds(random.Next(1, 40)).Ticks,
                _ => random.Next(2_000) * TimeSpan.TicksPerMillisecond,
            };
            Schedule(delay, 0);
        }

        clock.Advance(TimeSpan.FromMinutes(2));

        // The order of one heap by (due, order queued): what the clock always gave.
        var sorted = expected.OrderBy(e => e.Due).ThenBy(e => e.Order).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(fired, Has.Count.EqualTo(expected.Count));
            Assert.That(fired, Is.EqualTo(sorted));
            Assert.That(clock.PendingEvents, Is.Zero);
        });
        foreach (ITimer timer in timers)
        {
            timer.Dispose();
        }
    }

    [Test]
    public void ARunStoppedAtALimit_TakesEventsQueuedBeforeTheNextOne()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        var fired = new List<string>();
        using ITimer far = clock.CreateTimer(_ => fired.Add("far"), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(3)); // looked ahead to the far event, stopped at 3 s
        using ITimer near = clock.CreateTimer(_ => fired.Add("near"), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.That(fired, Is.EqualTo(new[] { "near", "far" }));
    }

    [Test]
    public void DatagramsInFlight_ReuseTheirBuffers()
    {
        var clock = new VirtualTimeProvider(DateTimeOffset.UnixEpoch);
        var target = new CountingTarget();
        byte[] datagram = new byte[300];

        void SendBurst()
        {
            for (int i = 0; i < 5_000; i++)
            {
                clock.ScheduleDelivery(target, datagram, 0, TimeSpan.FromMilliseconds(i % 100).Ticks);
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        SendBurst(); // the pool grows to the most in flight
        long before = GC.GetAllocatedBytesForCurrentThread();
        SendBurst();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Multiple(() =>
        {
            Assert.That(target.Delivered, Is.EqualTo(10_000));
            // 5,000 buffers of 512 bytes would be 2.6 MB; the shared array pool keeps only a few dozen.
            Assert.That(allocated, Is.LessThan(200_000), "a burst like the last one takes its buffers from the pool");
        });
    }

    [Test]
    public void AJoinWave_RunsABoundedNumberOfJoinsAtOnce_AndJoinsEveryNode()
    {
        var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 3 });
        PopulateReport report = network.Populate(1_200);

        Assert.Multiple(() =>
        {
            Assert.That(network.Nodes.All(n => n.HasJoined), Is.True);
            Assert.That(report.Nodes, Is.EqualTo(1_200));
            // The last wave (about 500 newcomers) used to start all at once.
            Assert.That(network.MostRunningAtOnce, Is.EqualTo(SimulatedNetwork.MinConcurrentJoins));
            Assert.That(network.Nodes.Average(n => n.Node.GetStatistics().RoutingTableSize), Is.GreaterThan(40));
        });
    }

    [Test]
    public void ConcurrentJoins_GrowWithTheWave()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SimulatedNetwork.ConcurrentJoins(10), Is.EqualTo(SimulatedNetwork.MinConcurrentJoins));
            Assert.That(SimulatedNetwork.ConcurrentJoins(3_000), Is.EqualTo(SimulatedNetwork.MinConcurrentJoins));
            Assert.That(SimulatedNetwork.ConcurrentJoins(48_000), Is.EqualTo(3_000));
        });
    }

    private sealed class CountingTarget : IDeliveryTarget
    {
        public int Delivered { get; private set; }

        public void Deliver(ReadOnlyMemory<byte> datagram, int source) => Delivered++;
    }
}
