using MainlineDht.InteropTests.Support;

namespace MainlineDht.InteropTests;

/// <summary>
/// The suite's network guard, before anything starts: every test in this assembly fails unless
/// the run is inside a loopback-only network namespace (see <see cref="LoopbackNamespace"/>).
/// </summary>
[SetUpFixture]
public sealed class InteropSetUp
{
    /// <summary>Fails the whole suite outside a loopback-only network namespace.</summary>
    [OneTimeSetUp]
    public void RequireLoopbackOnlyNamespace()
    {
        string? problem = LoopbackNamespace.Problem();
        if (problem is not null)
        {
            Assert.Fail("Refusing to run real DHT clients: " + problem);
        }
    }
}
