using System.Net;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Rpc;

/// <summary>
/// An IP that keeps exceeding the per-IP query limit is ignored for a while (libtorrent's
/// <c>dht_block_ratelimit</c> / <c>dht_block_timeout</c>); the reply byte budget keeps a share for
/// verified nodes.
/// </summary>
public sealed class IpBanTests
{
    private static readonly IPAddress A = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress B = IPAddress.Parse("127.0.0.3");

    [Test]
    public void An_address_that_keeps_exceeding_its_rate_is_banned_for_the_ban_duration()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 5, banThreshold: 20, TimeSpan.FromMinutes(5), clock);
        for (int i = 0; i < 5; i++)
        {
            Assert.That(limiter.Admit(A), Is.EqualTo(QueryAdmission.Allowed));
        }

        for (int i = 1; i < 20; i++)
        {
            Assert.That(limiter.Admit(A), Is.EqualTo(QueryAdmission.Limited), $"drop {i}");
        }

        Assert.That(limiter.Admit(A), Is.EqualTo(QueryAdmission.Banned), "the 20th drop bans it");
        Assert.That(limiter.BansStarted, Is.EqualTo(1));
        Assert.That(limiter.Admit(B), Is.EqualTo(QueryAdmission.Allowed), "another address is not touched");

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(limiter.Admit(A), Is.EqualTo(QueryAdmission.Banned), "its bucket is full again, but the ban holds");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(limiter.Admit(A), Is.EqualTo(QueryAdmission.Allowed), "after 5 minutes it is answered again");
        Assert.That(limiter.Banned, Is.Zero);
    }

    [Test]
    public void An_address_that_slows_down_until_its_bucket_refills_starts_over()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 10, burst: 5, banThreshold: 20, TimeSpan.FromMinutes(5), clock);
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 5 + 15; i++)
            {
                Assert.That(limiter.Admit(A), Is.Not.EqualTo(QueryAdmission.Banned), $"round {round}");
            }

            clock.Advance(TimeSpan.FromSeconds(1)); // its bucket fills again: it was a burst, not abuse
        }

        Assert.That(limiter.BansStarted, Is.Zero);
    }

    [Test]
    public void The_ban_table_is_bounded()
    {
        var clock = new VirtualTimeProvider();
        var limiter = new QueryRateLimiter(ratePerSecond: 1, burst: 1, banThreshold: 1, TimeSpan.FromMinutes(5), clock);
        for (int i = 0; i < QueryRateLimiter.MaxBans + 100; i++)
        {
            var address = new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            limiter.Admit(address);
            limiter.Admit(address);
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.That(limiter.BansStarted, Is.EqualTo(QueryRateLimiter.MaxBans + 100));
        Assert.That(limiter.Banned, Is.EqualTo(QueryRateLimiter.MaxBans));
        clock.Advance(TimeSpan.FromSeconds(2)); // every bucket refills; no ban has ended
        Assert.That(limiter.Admit(new IPAddress([10, 0, 0, 0])), Is.EqualTo(QueryAdmission.Allowed), "the earliest ban gave way");
        Assert.That(limiter.Admit(new IPAddress([10, 0, 4, 99])), Is.EqualTo(QueryAdmission.Banned), "the latest holds");
    }

    [Test]
    public async Task A_node_ignores_a_flooding_address_for_five_minutes_and_counts_it()
    {
        var clock = new VirtualTimeProvider();
        var transport = new ScriptedTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = clock,
                RandomSeed = 1,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                QueriesPerSecondPerIp = 10,
                QueryBurstPerIp = 5,
                IpBanThreshold = 50,
            },
            transport);
        node.Start();
        byte[] ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        var flooder = new IPEndPoint(A, 7000);

        int answered = 0;
        for (int i = 0; i < 200; i++)
        {
            answered += transport.Exchange(ping, flooder) is null ? 0 : 1;
        }

        DhtNodeStatistics stats = node.GetStatistics();
        Assert.That(answered, Is.EqualTo(5), "its burst");
        Assert.That(stats.QueriesRateLimited, Is.EqualTo(49));
        Assert.That(stats.IpBans, Is.EqualTo(1));
        Assert.That(stats.IpsBannedNow, Is.EqualTo(1));
        Assert.That(stats.QueriesFromBannedIps, Is.EqualTo(200 - 5 - 49));
        Assert.That(transport.Exchange(ping, new IPEndPoint(B, 7000)), Is.Not.Null, "others are answered");

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(transport.Exchange(ping, flooder), Is.Not.Null, "the ban is over");
    }

    [Test]
    public async Task A_node_over_its_reply_budget_drops_replies_and_counts_them()
    {
        var clock = new VirtualTimeProvider();
        var transport = new ScriptedTransport(new IPEndPoint(IPAddress.Loopback, 6881));
        await using var node = new DhtNode(
            new DhtNodeOptions { TimeProvider = clock, RandomSeed = 1, UsePublicRouters = false, SendPolicy = NetworkGuard.Policy, QueriesPerSecondPerIp = 0, ReplyBytesPerSecond = 1000 },
            transport);
        node.Start();
        byte[] ping = Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
        int answered = 0;
        for (int i = 0; i < 100; i++)
        {
            answered += transport.Exchange(ping, new IPEndPoint(A, 7000 + i)) is null ? 0 : 1;
        }

        Assert.That(answered, Is.EqualTo(1000 / 68), "half of 2,000 bytes in 68-byte pongs");
        Assert.That(node.GetStatistics().RepliesOverBudget, Is.EqualTo(100 - answered));
    }
}
