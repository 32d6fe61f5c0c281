namespace MainlineDht.InteropTests.Support;

/// <summary>
/// The interop suite's network guard: it runs real third-party DHT clients, so it must run
/// inside a private network namespace whose only interface is <c>lo</c> (created with
/// <c>unshare --net</c>). There, nothing can reach any address but loopback; outside one, the
/// suite refuses to start anything.
/// </summary>
/// <remarks>
/// The interfaces are read from <c>/proc/self/net/dev</c>, which shows this process's own
/// namespace. (<c>/sys/class/net</c> does not: it shows the namespace that mounted
/// <c>/sys</c>, and <c>unshare --net</c> alone does not remount it, so inside the namespace it
/// still lists the host's interfaces.)
/// </remarks>
public static class LoopbackNamespace
{
    /// <summary>How to run the suite so that the check passes.</summary>
    public const string HowToRun =
        "run it as tests/run.sh does: unshare --net -- bash -c 'ip link set lo up && exec dotnet test tests/MainlineDht.InteropTests -c Release --no-build'";

    private const string NetDev = "/proc/self/net/dev";
    private const string Routes = "/proc/self/net/route";

    /// <summary>The network interfaces of this process's network namespace.</summary>
    public static IReadOnlyList<string> Interfaces() =>
        File.Exists(NetDev)
            ? File.ReadLines(NetDev).Skip(2).Select(l => l.Split(':', 2)[0].Trim()).Where(n => n.Length > 0).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The IPv4 routes of the main table (loopback routes live in the local table: inside the namespace there are none).</summary>
    public static IReadOnlyList<string> MainRoutes() =>
        File.Exists(Routes) ? File.ReadLines(Routes).Skip(1).Where(l => l.Trim().Length > 0).ToList() : [];

    /// <summary>Null when this process is in a loopback-only network namespace; otherwise what is wrong.</summary>
    public static string? Problem()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the interop suite runs only on Linux, inside a loopback-only network namespace; " + HowToRun;
        }

        IReadOnlyList<string> interfaces = Interfaces();
        if (interfaces.Count != 1 || interfaces[0] != "lo")
        {
            return $"not in a loopback-only network namespace: {NetDev} lists [{string.Join(", ", interfaces)}], expected [lo] only; " + HowToRun;
        }

        IReadOnlyList<string> routes = MainRoutes();
        if (routes.Count != 0)
        {
            return $"the namespace has routes beyond loopback: {string.Join(" | ", routes)}; " + HowToRun;
        }

        return null;
    }
}
