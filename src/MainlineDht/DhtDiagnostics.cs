namespace MainlineDht;

/// <summary>
/// The names under which a <see cref="DhtNode"/> reports what it does, for wiring up logging,
/// OpenTelemetry and the like: its logger category (<see cref="DhtNodeOptions.LoggerFactory"/>),
/// its <see cref="System.Diagnostics.Metrics.Meter"/> (<see cref="DhtNodeOptions.MeterFactory"/>)
/// and its <see cref="System.Diagnostics.ActivitySource"/>. The README lists the events, instruments
/// and activities.
/// </summary>
public static class DhtDiagnostics
{
    /// <summary>The category of the node's logger: <c>MainlineDht.DhtNode</c>.</summary>
    public const string LoggerCategory = "MainlineDht.DhtNode";

    /// <summary>The name of the node's meter: <c>MainlineDht</c>.</summary>
    public const string MeterName = "MainlineDht";

    /// <summary>The name of the node's activity source (one activity per lookup, announce, item get/put, scrape and crawl): <c>MainlineDht</c>.</summary>
    public const string ActivitySourceName = "MainlineDht";
}
