using System.Net;
using MainlineDht.Rpc;

namespace MainlineDht.Tests.Rpc;

/// <summary>
/// The BEP 42 vote on our external address: one vote per voter (per range for public voters),
/// bounded candidates, and a tally that restarts after <see cref="ExternalAddressVote.MaxVoters"/>
/// voters without losing its leader, so that a changed address can win.
/// </summary>
public sealed class ExternalAddressVoteTests
{
    private static readonly IPAddress Reported = IPAddress.Parse("50.1.2.3");

    [Test]
    public void A_voter_that_votes_again_is_not_counted_again()
    {
        var vote = new ExternalAddressVote();
        for (int i = 0; i < 10; i++)
        {
            vote.Add(IPAddress.Parse("10.0.0.7"), Reported);
            vote.Add(IPAddress.Parse("60.7.8.9"), Reported);
        }

        Assert.That(vote.Leader, Is.EqualTo(Reported));
        Assert.That(vote.Settled, Is.False, "two voters");
    }

    [Test]
    public void A_replys_compact_ip_field_votes_as_its_address_does()
    {
        var byAddress = new ExternalAddressVote();
        var byField = new ExternalAddressVote();
        byte[] v4 = [50, 1, 2, 3, 0x1A, 0xE1];
        byte[] v6 = [.. IPAddress.Parse("2001:db8::5").GetAddressBytes(), 0x1A, 0xE1];
        for (int i = 0; i < 6; i++)
        {
            IPAddress voter = IPAddress.Parse($"60.{i}.8.9");
            byAddress.Add(voter, Reported);
            byField.Add(voter, v4);
        }

        byField.Add(IPAddress.Parse("61.1.1.1"), v6);
        Assert.That((byField.Leader, byField.Settled), Is.EqualTo((byAddress.Leader, byAddress.Settled)));
        Assert.That(byField.Leader, Is.EqualTo(Reported));
        Assert.That(byField.VoterCount, Is.EqualTo(7), "the IPv6 report counted as a vote too");
        Assert.That(() => byField.Add(IPAddress.Parse("62.1.1.1"), new byte[5]), Throws.ArgumentException);
        Assert.That(byField.VoterCount, Is.EqualTo(7), "a malformed field changes nothing");
    }

    [Test]
    public void Exempt_voters_count_one_by_one_even_in_one_slash_24()
    {
        var vote = new ExternalAddressVote();
        for (int i = 1; i <= ExternalAddressVote.SettledVotes; i++)
        {
            vote.Add(IPAddress.Parse($"192.168.1.{i}"), Reported);
        }

        Assert.That(vote.Settled, Is.True);
    }

    [Test]
    public void At_most_MaxCandidates_addresses_are_tallied()
    {
        var vote = new ExternalAddressVote();
        for (int i = 0; i < ExternalAddressVote.MaxCandidates; i++)
        {
            vote.Add(IPAddress.Parse($"60.{i}.0.1"), IPAddress.Parse($"50.0.0.{i + 1}"));
        }

        // A seventeenth address is not tallied: its five votes settle nothing.
        var late = IPAddress.Parse("50.0.1.1");
        for (int i = 0; i < 6; i++)
        {
            vote.Add(IPAddress.Parse($"61.{i}.0.1"), late);
        }

        Assert.That(vote.Leader, Is.Not.EqualTo(late));
        Assert.That(vote.Settled, Is.False);
    }

    [Test]
    public void The_tally_restarts_after_MaxVoters_keeping_its_leader_until_another_address_wins()
    {
        var vote = new ExternalAddressVote();
        for (int i = 0; vote.VoterCount < ExternalAddressVote.MaxVoters; i++)
        {
            vote.Add(IPAddress.Parse($"60.{i / 250}.{i % 250}.1"), Reported); // a few are taken for voters seen
        }

        Assert.That(vote.Settled, Is.True);
        Assert.That(vote.Leader, Is.EqualTo(Reported));

        // The next voter starts a new tally: the old leader stays named but is not settled on it.
        var moved = IPAddress.Parse("50.9.9.9");
        vote.Add(IPAddress.Parse("70.0.0.1"), Reported);
        Assert.That(vote.Leader, Is.EqualTo(Reported));
        Assert.That(vote.Settled, Is.False, "one vote in the new tally");
        for (int i = 0; i < 3; i++)
        {
            vote.Add(IPAddress.Parse($"71.{i}.0.1"), moved);
        }

        Assert.That(vote.Leader, Is.EqualTo(moved), "3 votes to 1 in the new tally");
        vote.Add(IPAddress.Parse("71.3.0.1"), moved);
        vote.Add(IPAddress.Parse("71.4.0.1"), moved);
        Assert.That(vote.Settled, Is.True);
    }

    [Test]
    public void Of_MaxVoters_distinct_voters_the_filter_mistakes_few_for_voters_seen()
    {
        var vote = new ExternalAddressVote();
        for (int i = 0; i < ExternalAddressVote.MaxVoters; i++)
        {
            vote.Add(new IPAddress(new byte[] { 60, (byte)(i >> 8), (byte)i, 1 }), Reported);
        }

        Assert.That(vote.VoterCount, Is.InRange(ExternalAddressVote.MaxVoters - 8, ExternalAddressVote.MaxVoters));
    }
}
