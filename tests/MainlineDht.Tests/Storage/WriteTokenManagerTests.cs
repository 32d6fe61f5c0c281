using System.Net;
using MainlineDht.Storage;

namespace MainlineDht.Tests.Storage;

public class WriteTokenManagerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress Requester = IPAddress.Parse("203.0.113.5");

    private static WriteTokenManager Create(int seed = 1)
    {
        var random = new Random(seed);
        return new WriteTokenManager(T0, random.NextBytes, TimeSpan.FromMinutes(5));
    }

    private static byte[] Token(WriteTokenManager manager, IPAddress ip, DateTimeOffset now)
    {
        var token = new byte[WriteTokenManager.TokenLength];
        Assert.That(manager.WriteToken(ip, token, now), Is.EqualTo(WriteTokenManager.TokenLength));
        return token;
    }

    [Test]
    public void Token_is_accepted_at_9_minutes_and_rejected_at_11()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0);

        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(9)), Is.True);
        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(11)), Is.False);
    }

    [Test]
    public void A_seeded_manager_gives_the_same_tokens_for_its_seed_and_rotates_as_any()
    {
        var a = new WriteTokenManager(T0, seed: 42, TimeSpan.FromMinutes(5));
        var b = new WriteTokenManager(T0, seed: 42, TimeSpan.FromMinutes(5));
        var other = new WriteTokenManager(T0, seed: 43, TimeSpan.FromMinutes(5));
        byte[] token = Token(a, Requester, T0);
        Assert.That(Token(b, Requester, T0), Is.EqualTo(token));
        Assert.That(Token(other, Requester, T0), Is.Not.EqualTo(token));
        Assert.That(a.Validate(Requester, token, T0.AddMinutes(9)), Is.True);
        Assert.That(a.Validate(Requester, token, T0.AddMinutes(11)), Is.False);
        Assert.That(Token(a, Requester, T0.AddMinutes(11)), Is.Not.EqualTo(token), "a new secret after two rotations");
    }

    [Test]
    public void Token_is_accepted_at_once()
    {
        WriteTokenManager manager = Create();
        Assert.That(manager.Validate(Requester, Token(manager, Requester, T0), T0), Is.True);
    }

    // Wherever in the rotation window a token is issued, it lives at least one interval (5 min)
    // and less than two (10 min). With `touchEveryMinute` other traffic drives the lazy rotation
    // one period at a time; without it, each check rotates over one or more periods at once.
    [Test]
    public void Token_lives_between_one_and_two_intervals_wherever_it_is_issued([Values] bool touchEveryMinute)
    {
        for (int issueSecond = 0; issueSecond < 10 * 60; issueSecond += 17)
        {
            DateTimeOffset issued = T0.AddSeconds(issueSecond);
            foreach ((TimeSpan age, bool valid) in new[] { (TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1), true), (TimeSpan.FromMinutes(10), false) })
            {
                WriteTokenManager manager = Create(issueSecond);
                byte[] token = Token(manager, Requester, issued);
                for (int minute = 1; touchEveryMinute && minute < age.TotalMinutes; minute++)
                {
                    Token(manager, IPAddress.Loopback, issued.AddMinutes(minute));
                }

                Assert.That(manager.Validate(Requester, token, issued + age), Is.EqualTo(valid), $"issued at +{issueSecond}s, checked {age} later");
            }
        }
    }

    [Test]
    public void Rotation_of_several_periods_at_once_drops_both_secrets()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0.AddMinutes(4));

        // Nothing happens between 4 and 10 minutes: at 10 min two periods pass in one step.
        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(10)), Is.False);
        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(4)), Is.False, "secrets never come back");
    }

    [Test]
    public void Rotation_of_many_periods_leaves_a_working_manager()
    {
        WriteTokenManager manager = Create();
        DateTimeOffset later = T0.AddDays(3).AddSeconds(7);
        byte[] token = Token(manager, Requester, later);
        Assert.That(manager.Validate(Requester, token, later.AddMinutes(4)), Is.True);
        Assert.That(manager.Validate(Requester, token, later.AddMinutes(10)), Is.False);
    }

    [Test]
    public void Token_given_to_one_IP_is_rejected_for_another()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0);

        Assert.That(manager.Validate(IPAddress.Parse("203.0.113.6"), token, T0), Is.False);
        Assert.That(manager.Validate(IPAddress.Parse("2001:db8::5"), token, T0), Is.False);
        Assert.That(Token(manager, IPAddress.Parse("203.0.113.6"), T0), Is.Not.EqualTo(token));
    }

    [Test]
    public void Token_for_IPv6_works_and_is_bound_to_the_address()
    {
        WriteTokenManager manager = Create();
        IPAddress v6 = IPAddress.Parse("2001:db8::1");
        byte[] token = Token(manager, v6, T0);
        Assert.That(manager.Validate(v6, token, T0.AddMinutes(1)), Is.True);
        Assert.That(manager.Validate(IPAddress.Parse("2001:db8::2"), token, T0.AddMinutes(1)), Is.False);
    }

    [Test]
    public void IPv4_mapped_IPv6_address_gets_the_IPv4_token()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0);

        Assert.That(Token(manager, Requester.MapToIPv6(), T0), Is.EqualTo(token));
        Assert.That(manager.Validate(Requester.MapToIPv6(), token, T0), Is.True);
    }

    [TestCase(0)]
    [TestCase(4)]
    [TestCase(7)]
    [TestCase(9)]
    [TestCase(20)]
    public void Token_of_the_wrong_length_is_rejected(int length)
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0);
        byte[] other = new byte[length];
        token.AsSpan(0, Math.Min(length, token.Length)).CopyTo(other);
        Assert.That(manager.Validate(Requester, other, T0), Is.False);
    }

    [Test]
    public void Tampered_token_is_rejected()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0);
        for (int i = 0; i < token.Length; i++)
        {
            byte[] tampered = (byte[])token.Clone();
            tampered[i] ^= 0x01;
            Assert.That(manager.Validate(Requester, tampered, T0), Is.False, $"byte {i}");
        }
    }

    [Test]
    public void Token_is_SHA1_of_address_and_secret_cut_to_8_bytes()
    {
        byte[] secret = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        var manager = new WriteTokenManager(T0, s => secret.CopyTo(s), TimeSpan.FromMinutes(5));
        byte[] expected = System.Security.Cryptography.SHA1.HashData([203, 0, 113, 5, .. secret])[..8];

        Assert.That(Token(manager, Requester, T0), Is.EqualTo(expected));
    }

    [Test]
    public void Same_seed_gives_the_same_tokens_different_seeds_differ()
    {
        Assert.That(Token(Create(7), Requester, T0), Is.EqualTo(Token(Create(7), Requester, T0)));
        Assert.That(Token(Create(7), Requester, T0), Is.Not.EqualTo(Token(Create(8), Requester, T0)));
    }

    [Test]
    public void Token_changes_after_a_rotation()
    {
        WriteTokenManager manager = Create();
        byte[] before = Token(manager, Requester, T0);
        Assert.That(Token(manager, Requester, T0.AddMinutes(5)), Is.Not.EqualTo(before));
    }

    [Test]
    public void Clock_stepping_back_keeps_tokens_valid()
    {
        WriteTokenManager manager = Create();
        byte[] token = Token(manager, Requester, T0.AddMinutes(1));
        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(-30)), Is.True);
        Assert.That(manager.Validate(Requester, token, T0.AddMinutes(6)), Is.True);
    }

    [Test]
    public void Destination_shorter_than_a_token_is_a_caller_mistake()
    {
        WriteTokenManager manager = Create();
        Assert.That(() => manager.WriteToken(Requester, new byte[7], T0), Throws.ArgumentException);
    }

    [Test]
    public void Writing_a_token_allocates_nothing()
    {
        WriteTokenManager manager = Create();
        var token = new byte[WriteTokenManager.TokenLength];
        manager.WriteToken(Requester, token, T0);
        manager.Validate(Requester, token, T0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            manager.WriteToken(Requester, token, T0.AddSeconds(i));
            manager.Validate(Requester, token, T0.AddSeconds(i));
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
