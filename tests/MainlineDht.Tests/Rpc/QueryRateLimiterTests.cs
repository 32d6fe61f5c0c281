using System.Net;
using MainlineDht.Rpc;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Rpc;

/// <summary>The per-IP token bucket, on a clock that moves only when told.</summary>
public sealed class QueryRateLimiterTests
{
    /// <summary>The limiter's table size (a private constant there); only used to pick addresses apart.</summary>
    private const int Slots = 4096;

    private static readonly IPAddress A = IPAddress.Parse("127.0.0.2");

    private static int Accepted(QueryRateLimiter limiter, IPAddress address, int attempts)
    {
        int accepted = 0;
        for (int i = 0; i < attempts; i++)
        {
            accepted += limiter.TryAcquire(address) ? 1 : 0;
        }

        return accepted;
    }

    [Test]
    public void ABurst_IsAnswered_AndTheQueryAfterItIsNot()
    {
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 5, new VirtualTimeProvider());

        Assert.Multiple(() =>
        {
            Assert.That(limiter.Enabled, Is.True);
            Assert.That(Accepted(limiter, A, 5), Is.EqualTo(5));
            Assert.That(limiter.TryAcquire(A), Is.False);
            Assert.That(limiter.TryAcquire(A), Is.False, "still empty: no time passed");
        });
    }

    [Test]
    public void TheBucket_RefillsAtTheRate_UpToTheBurst()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 5, clock);
        Assert.That(Accepted(limiter, A, 5), Is.EqualTo(5));

        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(Accepted(limiter, A, 3), Is.EqualTo(1), "one token per 100 ms at 10/s");

        clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.That(Accepted(limiter, A, 5), Is.EqualTo(3));

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(Accepted(limiter, A, 20), Is.EqualTo(5), "a long silence earns no more than the burst");
    }

    [Test]
    public void ARefusedQuery_DoesNotLoseTheTimeThatPassed()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 1, clock);
        Assert.That(limiter.TryAcquire(A), Is.True);

        clock.Advance(TimeSpan.FromMilliseconds(60));
        Assert.That(limiter.TryAcquire(A), Is.False, "0.6 of a token");
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.That(limiter.TryAcquire(A), Is.True, "0.6 + 0.4: the refused attempt kept its share");
    }

    [Test]
    public void EachAddress_HasItsOwnBucket()
    {
        var limiter = new QueryRateLimiter(ratePerSecond: 1, burst: 3, new VirtualTimeProvider());
        // Addresses share a bucket only when they share a slot of the fixed table (1 in 4096 for two
        // addresses; the hash is per process): take the first neighbour that does not.
        IPAddress b = Enumerable.Range(3, 100).Select(i => new IPAddress([127, 0, 0, (byte)i])).First(x => !SameSlot(x, A));

        Assert.That(Accepted(limiter, A, 10), Is.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(Accepted(limiter, b, 10), Is.EqualTo(3), "another address still has its whole burst");
            Assert.That(Accepted(limiter, IPAddress.IPv6Loopback, 10), Is.EqualTo(SameSlot(IPAddress.IPv6Loopback, A) || SameSlot(IPAddress.IPv6Loopback, b) ? 0 : 3));
            Assert.That(limiter.TryAcquire(A), Is.False, "and the first one is still empty");
        });
    }

    [Test]
    public void AThousandAddresses_EachHaveTheirOwnBucket()
    {
        // The load benchmark's 1,024 sources: hashed straight into 4,096 shared slots, a hundred or so
        // of them would share a bucket (and be limited at half the rate); each holds a slot of its own.
        var limiter = new QueryRateLimiter(ratePerSecond: 1, burst: 3, new VirtualTimeProvider());
        IPAddress[] addresses = Enumerable.Range(1, 1024).Select(i => new IPAddress([127, 10, (byte)(i >> 8), (byte)i])).ToArray();

        Assert.That(addresses.Sum(a => Accepted(limiter, a, 5)), Is.EqualTo(3 * 1024), "every address its whole burst");
    }

    [Test]
    public void ManyAddresses_ShareAFixedTable_AndCostNoMemoryEach()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 1, burst: 1, clock);
        IPAddress[] addresses = Enumerable.Range(0, 20_000).Select(i => new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i])).ToArray();
        limiter.TryAcquire(IPAddress.Loopback); // the table is allocated at the first query
        clock.Advance(TimeSpan.FromSeconds(1));

        long before = GC.GetAllocatedBytesForCurrentThread();
        int accepted = addresses.Count(limiter.TryAcquire);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // One token per slot: at most 4096 of 20,000 senders are answered at once, and with a hash
        // spread over the slots, nearly all slots are hit (about 4,065 expected).
        Assert.Multiple(() =>
        {
            Assert.That(accepted, Is.InRange(3_900, Slots));
            Assert.That(allocated, Is.LessThan(1_000), "no memory per sender");
        });

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(addresses.Count(limiter.TryAcquire), Is.EqualTo(accepted), "every slot refilled");
    }

    [Test]
    public void ARateOfZero_IsOff()
    {
        var limiter = new QueryRateLimiter(ratePerSecond: 0, burst: 5, new VirtualTimeProvider());

        long before = GC.GetAllocatedBytesForCurrentThread();
        int accepted = Accepted(limiter, A, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Multiple(() =>
        {
            Assert.That(limiter.Enabled, Is.False);
            Assert.That(accepted, Is.EqualTo(10_000));
            Assert.That(allocated, Is.Zero, "no table when off");
        });
    }

    [Test]
    public void ABurstBelowOne_StillLetsOneQueryThrough()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 0, clock);

        Assert.That(Accepted(limiter, A, 3), Is.EqualTo(1));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.That(Accepted(limiter, A, 3), Is.EqualTo(1));
    }

    private static bool SameSlot(IPAddress x, IPAddress y) => (uint)x.GetHashCode() % Slots == (uint)y.GetHashCode() % Slots;
}
