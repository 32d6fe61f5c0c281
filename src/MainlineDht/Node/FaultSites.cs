using System.Diagnostics;
using System.Reflection;

namespace MainlineDht.Node;

/// <summary>
/// A bug in the node's handling of a datagram must not stop the node, and must not go unseen either:
/// every fault is counted, and each distinct fault site (exception type + the innermost frame of this
/// library) is logged once. At most <see cref="MaxSites"/> sites are remembered: a bug hit by every
/// datagram is one warning, and a flood of distinct ones costs at most <see cref="MaxSites"/> + 1
/// warnings. Used under the gate.
/// </summary>
internal sealed class FaultSites
{
    public const int MaxSites = 32;

    private readonly HashSet<(Type Type, MethodBase? Site)> _reported = []; // the sites are made at the first fault
    private bool _saturated;

    /// <summary>
    /// What to report of <paramref name="exception"/>, which happened while <paramref name="doing"/>
    /// (e.g. "handling a datagram from 1.2.3.4:5"), or null when its site was reported already.
    /// </summary>
    public FaultReport? FirstReport(Exception exception, string doing)
    {
        MethodBase? site = SiteOf(exception);
        if (_reported.Contains((exception.GetType(), site)))
        {
            return null;
        }

        if (_reported.Count >= MaxSites)
        {
            if (_saturated)
            {
                return null;
            }

            _saturated = true;
            return new FaultReport(exception, doing, string.Empty, Saturated: true);
        }

        _reported.Add((exception.GetType(), site));
        string where = site is null ? "an unknown site" : $"{site.DeclaringType?.FullName}.{site.Name}";
        return new FaultReport(exception, doing, where, Saturated: false);
    }

    /// <summary>The innermost frame in this library's code, else the method that threw.</summary>
    private static MethodBase? SiteOf(Exception exception)
    {
        Assembly ours = typeof(FaultSites).Assembly;
        foreach (StackFrame frame in new StackTrace(exception, fNeedFileInfo: false).GetFrames())
        {
            if (frame.GetMethod() is MethodBase method && method.Module.Assembly == ours)
            {
                return method;
            }
        }

        return exception.TargetSite;
    }
}

/// <summary>A fault to report (<see cref="Diagnostics.Log.InternalError"/>), or the one report that says no more are (<paramref name="Saturated"/>).</summary>
/// <param name="Exception">The fault.</param>
/// <param name="Doing">What the node was doing.</param>
/// <param name="Site">Where in the library it happened.</param>
/// <param name="Saturated">True for the report that <see cref="FaultSites.MaxSites"/> sites were reported and later ones are only counted.</param>
internal readonly record struct FaultReport(Exception Exception, string Doing, string Site, bool Saturated);
