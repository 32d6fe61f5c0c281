using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// A node waiting in a bucket's replacement cache: either verified (it answered one of our queries
/// but its bucket had no room) or an unverified candidate (it queried us, or someone named it in a
/// <c>nodes</c> reply) that must answer a ping before it may enter the live table.
/// </summary>
internal sealed class ReplacementEntry
{
    internal ReplacementEntry(NodeId id, IPEndPoint endPoint, DateTimeOffset heard)
    {
        Id = id;
        EndPoint = endPoint;
        LastHeard = heard;
    }

    public NodeId Id { get; }

    public IPEndPoint EndPoint { get; internal set; }

    /// <summary>When we last learned of the node in any way: a reply, a query, a mention.</summary>
    public DateTimeOffset LastHeard { get; internal set; }

    /// <summary>When the node last answered us; null while it is unverified.</summary>
    public DateTimeOffset? LastReply { get; internal set; }

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(LastReply))]
    public bool IsVerified => LastReply is not null;

    public DateTimeOffset? LastQuery { get; internal set; }

    public TimeSpan RoundTripTime { get; internal set; }

    /// <summary>When the caller was asked to ping this candidate to verify it; null if it was not.</summary>
    public DateTimeOffset? VerificationRequested { get; internal set; }

    public override string ToString() => $"{Id} {EndPoint}{(IsVerified ? " verified" : string.Empty)}";
}
