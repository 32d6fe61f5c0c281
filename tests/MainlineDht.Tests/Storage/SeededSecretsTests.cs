using MainlineDht.Storage;

namespace MainlineDht.Tests.Storage;

/// <summary>The reproducible secrets of a seeded node (<see cref="SeededSecrets"/>).</summary>
public sealed class SeededSecretsTests
{
    [Test]
    public void A_seed_gives_the_same_bytes_every_time_and_another_seed_others()
    {
        byte[] a = Draw(42, 20), again = Draw(42, 20), other = Draw(43, 20);
        Assert.That(again, Is.EqualTo(a));
        Assert.That(other, Is.Not.EqualTo(a));
        Assert.That(a.Skip(16), Is.Not.All.Zero, "a length that is not a multiple of 8 is filled to the end");
    }

    [Test]
    public void Each_fill_continues_the_sequence()
    {
        var secrets = new SeededSecrets(7);
        byte[] first = new byte[16], second = new byte[16];
        secrets.Fill(first);
        secrets.Fill(second);
        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(first.Concat(second), Is.EqualTo(Draw(7, 32)));
    }

    private static byte[] Draw(ulong seed, int length)
    {
        byte[] bytes = new byte[length];
        new SeededSecrets(seed).Fill(bytes);
        return bytes;
    }
}
