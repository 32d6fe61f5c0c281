using MainlineDht.Rpc;

namespace MainlineDht.Tests.Rpc;

public sealed class RoundTripEstimatorTests
{
    [Test]
    public void BeforeAnySample_ANodeIsSlowAfterOneSecond()
    {
        var estimator = default(RoundTripEstimator);
        Assert.That(estimator.SlowAfter, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void SteadyRoundTrips_GiveTheSmoothedValuePlusFourVariations()
    {
        var estimator = default(RoundTripEstimator);
        estimator.Add(TimeSpan.FromMilliseconds(100)); // SRTT 100, RTTVAR 50
        Assert.That(estimator.SlowAfter, Is.EqualTo(TimeSpan.FromMilliseconds(300)));

        for (int i = 0; i < 200; i++)
        {
            estimator.Add(TimeSpan.FromMilliseconds(100));
        }

        Assert.That(estimator.SlowAfter, Is.EqualTo(RoundTripEstimator.MinSlowAfter), "the variation decays; the floor holds");
    }

    [Test]
    public void SpreadRoundTrips_StayWithinTheBounds()
    {
        var estimator = default(RoundTripEstimator);
        var random = new Random(5);
        for (int i = 0; i < 1_000; i++)
        {
            estimator.Add(TimeSpan.FromMilliseconds(50 + random.Next(250)));
        }

        Assert.That(estimator.SlowAfter, Is.InRange(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(700)));

        for (int i = 0; i < 100; i++)
        {
            estimator.Add(TimeSpan.FromSeconds(3));
        }

        Assert.That(estimator.SlowAfter, Is.EqualTo(RoundTripEstimator.MaxSlowAfter), "never more than a second");
    }
}
