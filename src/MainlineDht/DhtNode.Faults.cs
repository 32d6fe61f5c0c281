using System.Diagnostics;
using System.Net;
using System.Reflection;

namespace MainlineDht;

// A handler bug must not stop the node, and must not go unseen either: each distinct fault site is
// reported once through DhtNodeOptions.OnWarning (after the gate is released), every fault is counted.
public sealed partial class DhtNode
{
    private readonly FaultSites _faultSites = new();

    /// <summary>
    /// Hands a warning to <see cref="DhtNodeOptions.OnWarning"/>; called outside the gate. A callback
    /// that throws is counted as an internal error: it runs on the receive path, which nothing may escape.
    /// </summary>
    private void ReportFault(string warning)
    {
        try
        {
            _options.OnWarning?.Invoke(warning);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lock (_gate)
            {
                _counters.HandlerFaults++;
            }
        }
    }

    /// <summary>
    /// The fault sites already reported (exception type + the innermost frame of this library), at most
    /// <see cref="MaxSites"/>: a bug hit by every datagram is one warning, and a flood of distinct ones
    /// costs at most <see cref="MaxSites"/> + 1 warnings. Used under the gate.
    /// </summary>
    private sealed class FaultSites
    {
        public const int MaxSites = 32;

        private readonly HashSet<(Type Type, MethodBase? Site)> _reported = [];
        private bool _saturated;

        /// <summary>The warning to report for <paramref name="exception"/>, or null when its site was reported already.</summary>
        public string? FirstReport(Exception exception, IPEndPoint source)
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
                return $"internal error: {MaxSites} distinct faults reported; further ones are only counted (statistics: InternalErrors)";
            }

            _reported.Add((exception.GetType(), site));
            string where = site is null ? "an unknown site" : $"{site.DeclaringType?.FullName}.{site.Name}";
            return $"internal error handling a datagram from {source}: {exception.GetType().FullName}: {exception.Message} (at {where}); "
                + "the node goes on, further faults there are only counted";
        }

        /// <summary>The innermost frame in this library's code, else the method that threw.</summary>
        private static MethodBase? SiteOf(Exception exception)
        {
            Assembly ours = typeof(DhtNode).Assembly;
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
}
