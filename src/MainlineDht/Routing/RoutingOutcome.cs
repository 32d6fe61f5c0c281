namespace MainlineDht.Routing;

/// <summary>What a routing table call did with the node it was about.</summary>
internal enum RoutingResult
{
    /// <summary>Nothing changed: our own id, an unusable endpoint, or a node the table does not know.</summary>
    Ignored,

    /// <summary>Refused: the id is live at another endpoint and that entry is not bad (anti-hijack).</summary>
    Rejected,

    /// <summary>
    /// Refused by the IP-diversity rules: another entry holds its address, or its /24 (IPv4) or /64
    /// (IPv6) already has a node in its bucket.
    /// </summary>
    Crowded,

    /// <summary>The node entered the live table.</summary>
    Added,

    /// <summary>The node was live already; its times (and failure count) were updated.</summary>
    Updated,

    /// <summary>The node waits in its bucket's replacement cache: the bucket had no room for it.</summary>
    Cached,

    /// <summary>A failure was counted; the node stays in the table.</summary>
    FailureCounted,

    /// <summary>The node left the table (live entry or replacement cache).</summary>
    Removed,
}

/// <summary>Why the caller is asked to ping a node.</summary>
internal enum PingReason
{
    /// <summary>No ping is asked for.</summary>
    None,

    /// <summary>
    /// The node is a questionable live node in a full bucket and a verified replacement is waiting:
    /// if it fails to answer (<see cref="RoutingTable.OnFailure"/>), the replacement takes its place.
    /// </summary>
    Evict,

    /// <summary>The node is an unverified candidate; if it answers (<see cref="RoutingTable.OnReply"/>), it may enter the table.</summary>
    Verify,
}

/// <summary>
/// The result of <see cref="RoutingTable.OnReply"/> or <see cref="RoutingTable.OnFailure"/>: what happened
/// to the node, and at most one node the caller should ping next. The caller reports that ping's end
/// through <see cref="RoutingTable.OnReply"/> or <see cref="RoutingTable.OnFailure"/>.
/// </summary>
internal readonly struct RoutingOutcome : IEquatable<RoutingOutcome>
{
    private RoutingOutcome(RoutingResult result, PingReason pingReason, NodeContact pingTarget)
    {
        Result = result;
        PingReason = pingReason;
        PingTarget = pingTarget;
    }

    /// <summary>What happened to the node the call was about.</summary>
    public RoutingResult Result { get; }

    /// <summary>Why <see cref="PingTarget"/> should be pinged; <see cref="PingReason.None"/> when no ping is asked for.</summary>
    public PingReason PingReason { get; }

    /// <summary>The node to ping; <see langword="default"/> when <see cref="ShouldPing"/> is false.</summary>
    public NodeContact PingTarget { get; }

    /// <summary>Whether the caller should ping <see cref="PingTarget"/>.</summary>
    public bool ShouldPing => PingReason != PingReason.None;

    public static RoutingOutcome Ignored { get; } = new(RoutingResult.Ignored, PingReason.None, default);

    public static RoutingOutcome Rejected { get; } = new(RoutingResult.Rejected, PingReason.None, default);

    public static RoutingOutcome Crowded { get; } = new(RoutingResult.Crowded, PingReason.None, default);

    public static RoutingOutcome Of(RoutingResult result) => new(result, PingReason.None, default);

    /// <summary>Asks the caller to ping <paramref name="entry"/>: it is evicted if it fails to answer.</summary>
    public static RoutingOutcome PingToEvict(RoutingResult result, in RoutingNode entry) =>
        new(result, PingReason.Evict, new NodeContact(entry.Id, entry.EndPoint));

    /// <summary>Asks the caller to ping an unverified candidate.</summary>
    public static RoutingOutcome PingToVerify(RoutingResult result, in RoutingNode candidate) =>
        new(result, PingReason.Verify, new NodeContact(candidate.Id, candidate.EndPoint));

    public bool Equals(RoutingOutcome other) =>
        Result == other.Result && PingReason == other.PingReason && PingTarget.Equals(other.PingTarget);

    public override bool Equals(object? obj) => obj is RoutingOutcome other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Result, PingReason, PingTarget);

    public override string ToString() => ShouldPing ? $"{Result}, ping {PingTarget.Id} {PingTarget.EndPoint} ({PingReason})" : Result.ToString();

    public static bool operator ==(RoutingOutcome left, RoutingOutcome right) => left.Equals(right);

    public static bool operator !=(RoutingOutcome left, RoutingOutcome right) => !left.Equals(right);
}
