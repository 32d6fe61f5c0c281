using System.Collections.Concurrent;
using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.TestSupport;

/// <summary>
/// The tests' network guard: every node a test starts sends through <see cref="Policy"/>, which
/// refuses any destination outside 127.0.0.0/8 and ::1 and records it; <see cref="GuardedTest"/>
/// fails the test that caused it. Sockets bound to a 127.x address cannot reach other addresses
/// either, and every test project runs in a loopback-only network namespace (tests/run.sh). Shared
/// by the test projects as a linked source file.
/// </summary>
public static class NetworkGuard
{
    private static readonly ConcurrentQueue<IPEndPoint> Refused = new();

    /// <summary>The send policy test nodes use.</summary>
    public static SendPolicy Policy { get; } = SendPolicy.LoopbackOnly(Refused.Enqueue);

    /// <summary>Takes the destinations refused since the last call.</summary>
    public static List<IPEndPoint> TakeRefused()
    {
        var list = new List<IPEndPoint>();
        while (Refused.TryDequeue(out IPEndPoint? endPoint))
        {
            list.Add(endPoint);
        }

        return list;
    }
}

/// <summary>Base of tests that open sockets or run nodes: fails a test that tried to send outside loopback.</summary>
public abstract class GuardedTest
{
    /// <summary>Clears refusals left by earlier tests.</summary>
    [SetUp]
    public void ClearGuard() => NetworkGuard.TakeRefused();

    /// <summary>Fails the test if any node tried to send outside loopback.</summary>
    [TearDown]
    public void CheckGuard()
    {
        List<IPEndPoint> refused = NetworkGuard.TakeRefused();
        Assert.That(refused, Is.Empty, "A test tried to send outside 127.0.0.0/8 and ::1: " + string.Join(", ", refused));
    }
}
