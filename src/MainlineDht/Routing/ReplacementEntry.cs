using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// A snapshot of a node waiting in a bucket's replacement cache (for tests and diagnostics): either
/// verified (it answered one of our queries but its bucket had no room) or an unverified candidate
/// (it queried us, or someone named it in a <c>nodes</c> reply) that must answer a ping before it may
/// enter the live table. The cache itself stores <see cref="RoutingNode"/> values.
/// </summary>
internal sealed class ReplacementEntry
{
    private readonly RoutingNode _node;

    internal ReplacementEntry(in RoutingNode node) => _node = node;

    public NodeId Id => _node.Id;

    public IPEndPoint EndPoint => _node.EndPoint;

    /// <summary>When we last learned of the node in any way: a reply, a query, a mention.</summary>
    public DateTimeOffset LastHeard => RoutingNode.Time(_node.AddedOrHeard);

    /// <summary>When the node last answered us; null while it is unverified.</summary>
    public DateTimeOffset? LastReply => RoutingNode.OptionalTime(_node.LastReply);

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(LastReply))]
    public bool IsVerified => _node.IsVerified;

    public DateTimeOffset? LastQuery => RoutingNode.OptionalTime(_node.LastQuery);

    public TimeSpan RoundTripTime => _node.RoundTripTime;

    /// <summary>When the caller was asked to ping this candidate to verify it; null if it was not.</summary>
    public DateTimeOffset? VerificationRequested => RoutingNode.OptionalTime(_node.Pending);

    public override string ToString() => $"{Id} {EndPoint}{(IsVerified ? " verified" : string.Empty)}";
}
