using System.Net;
using MainlineDht.Lookups;

namespace MainlineDht;

/// <summary>
/// What one bootstrap did (<see cref="DhtNode.LastBootstrapReport"/>): each bootstrap name it tried —
/// what it resolved to, whether it answered, its round trip, what went wrong — the saved nodes it
/// tried, and, when nothing answered, when the node tries again by itself.
/// </summary>
public sealed record BootstrapReport
{
    /// <summary>When the bootstrap started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Each bootstrap name tried, in the order tried: the given ones (and public routers that
    /// answered last time), then — when neither they nor the saved nodes answered — the public routers.
    /// </summary>
    public IReadOnlyList<BootstrapNodeReport> Nodes { get; init; } = [];

    /// <summary>Saved nodes (from the state file) asked.</summary>
    public int SavedNodesTried { get; init; }

    /// <summary>Saved nodes that answered.</summary>
    public int SavedNodesAnswered { get; init; }

    /// <summary>Whether the routing table held a live node when the bootstrap ended.</summary>
    public bool Joined { get; init; }

    /// <summary>When nothing answered: how long until the node bootstraps again by itself (the delay grows with each try, up to <see cref="DhtNodeOptions.MaxBootstrapRetryDelay"/>); null when it joined or will not try again.</summary>
    public TimeSpan? RetryIn { get; init; }

    /// <summary>The lookups of the bootstrap, summed (what <see cref="DhtNode.JoinAsync"/> returns).</summary>
    public LookupReport Lookup { get; init; } = new();
}

/// <summary>What became of one bootstrap name.</summary>
/// <param name="Name">The name as given (<c>host:port</c>).</param>
/// <param name="Addresses">What it resolved to, in the families the node runs (empty when it did not resolve).</param>
/// <param name="Answered">Whether any of its addresses answered.</param>
/// <param name="RoundTrip">The quickest answer's round trip; null when none answered.</param>
/// <param name="Error">What went wrong, in one line ("did not resolve: …", "no answer within 4 s", …); null when it answered.</param>
public sealed record BootstrapNodeReport(string Name, IReadOnlyList<IPEndPoint> Addresses, bool Answered, TimeSpan? RoundTrip, string? Error);
