using System.Net;
using Microsoft.Extensions.Logging;

namespace MainlineDht.Diagnostics;

/// <summary>
/// What a node logs (category <see cref="DhtDiagnostics.LoggerCategory"/>), one source-generated
/// method per event: nothing is formatted or allocated while its level is off. The event ids are
/// fixed — dashboards and alerts key on them — and listed in the README. Warnings and errors are what
/// a person should look at (the command-line tool prints them); Information tells the node's life;
/// Debug is for a person chasing a problem.
/// </summary>
internal static partial class Log
{
    public const int NodeStartedId = 100;
    public const int NodeStoppedId = 101;
    public const int Ipv6UnavailableId = 102;
    public const int StateFileSetAsideId = 110;
    public const int StateFileUnreadableId = 111;
    public const int StateSaveFailedId = 112;
    public const int BootstrapNameUnresolvedId = 120;
    public const int JoinFoundNoNodeId = 121;
    public const int RebootstrapFoundNoNodeId = 122;
    public const int RebootstrapFailedId = 123;
    public const int NoLiveNodeLeftId = 124;
    public const int HealthChangedId = 130;
    public const int HealthHandlerFailedId = 131;
    public const int IpBannedId = 140;
    public const int NodeIdChangedId = 150;
    public const int IdHandlerFailedId = 151;
    public const int InternalErrorId = 160;
    public const int InternalErrorsSaturatedId = 161;
    public const int SendRefusedId = 170;

    [LoggerMessage(EventId = NodeStartedId, EventName = "NodeStarted", Level = LogLevel.Information,
        Message = "DHT node {NodeId} started on {EndPoint}")]
    public static partial void NodeStarted(ILogger logger, string nodeId, string endPoint);

    [LoggerMessage(EventId = NodeStoppedId, EventName = "NodeStopped", Level = LogLevel.Information,
        Message = "DHT node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, string nodeId);

    [LoggerMessage(EventId = Ipv6UnavailableId, EventName = "Ipv6Unavailable", Level = LogLevel.Warning,
        Message = "IPv6 is not available here ({Problem}): the node runs on IPv4 only")]
    public static partial void Ipv6Unavailable(ILogger logger, string problem);

    [LoggerMessage(EventId = StateFileSetAsideId, EventName = "StateFileSetAside", Level = LogLevel.Warning,
        Message = "state file {Path} is invalid ({Reason}); moved it to {MovedTo} and started fresh")]
    public static partial void StateFileSetAside(ILogger logger, string path, string reason, string movedTo);

    [LoggerMessage(EventId = StateFileUnreadableId, EventName = "StateFileUnreadable", Level = LogLevel.Warning,
        Message = "cannot read state file {Path} ({Reason}); it is left untouched and will not be written")]
    public static partial void StateFileUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = StateSaveFailedId, EventName = "StateSaveFailed", Level = LogLevel.Warning,
        Message = "could not save the DHT state to {Path}: {Problem}")]
    public static partial void StateSaveFailed(ILogger logger, Exception exception, string path, string problem);

    [LoggerMessage(EventId = BootstrapNameUnresolvedId, EventName = "BootstrapNameUnresolved", Level = LogLevel.Warning,
        Message = "could not resolve bootstrap node {Name}: {Problem}")]
    public static partial void BootstrapNameUnresolved(ILogger logger, string name, string problem);

    /// <param name="logger">The node's logger.</param>
    /// <param name="tried">The steps tried, in order ("127.0.0.1:9; then 3 saved nodes").</param>
    /// <param name="retry">"; bootstrapping again in 1 s, then …", or empty when the node will not try again by itself.</param>
    [LoggerMessage(EventId = JoinFoundNoNodeId, EventName = "JoinFoundNoNode", Level = LogLevel.Warning,
        Message = "join found no node: none answered ({Tried}){Retry}")]
    public static partial void JoinFoundNoNode(ILogger logger, string tried, string retry);

    [LoggerMessage(EventId = RebootstrapFoundNoNodeId, EventName = "RebootstrapFoundNoNode", Level = LogLevel.Debug,
        Message = "bootstrapping again found no node ({NodesQueried} queried, {Timeouts} timed out); next try in {RetryDelay}")]
    public static partial void RebootstrapFoundNoNode(ILogger logger, int nodesQueried, int timeouts, TimeSpan? retryDelay);

    [LoggerMessage(EventId = RebootstrapFailedId, EventName = "RebootstrapFailed", Level = LogLevel.Warning,
        Message = "bootstrapping again failed: {Problem}")]
    public static partial void RebootstrapFailed(ILogger logger, Exception exception, string problem);

    [LoggerMessage(EventId = NoLiveNodeLeftId, EventName = "NoLiveNodeLeft", Level = LogLevel.Warning,
        Message = "no live node left in the routing table: bootstrapping again")]
    public static partial void NoLiveNodeLeft(ILogger logger);

    [LoggerMessage(EventId = HealthChangedId, EventName = "HealthChanged", Level = LogLevel.Information,
        Message = "health changed from {Previous} to {Current}: {Reason}")]
    public static partial void HealthChanged(ILogger logger, DhtHealth previous, DhtHealth current, string reason);

    [LoggerMessage(EventId = HealthHandlerFailedId, EventName = "HealthHandlerFailed", Level = LogLevel.Warning,
        Message = "a HealthChanged handler failed: {Problem}")]
    public static partial void HealthHandlerFailed(ILogger logger, Exception exception, string problem);

    [LoggerMessage(EventId = IpBannedId, EventName = "IpBanned", Level = LogLevel.Information,
        Message = "banned {Address} for {Duration}: its queries kept exceeding the per-IP rate limit")]
    public static partial void IpBanned(ILogger logger, IPAddress address, TimeSpan duration);

    [LoggerMessage(EventId = NodeIdChangedId, EventName = "NodeIdChanged", Level = LogLevel.Information,
        Message = "node id changed from {OldId} to {NewId}, the id BEP 42 allows for our external address {ExternalAddress}")]
    public static partial void NodeIdChanged(ILogger logger, string oldId, string newId, IPAddress externalAddress);

    [LoggerMessage(EventId = IdHandlerFailedId, EventName = "IdHandlerFailed", Level = LogLevel.Warning,
        Message = "an IdChanged handler failed: {Problem}")]
    public static partial void IdHandlerFailed(ILogger logger, Exception exception, string problem);

    [LoggerMessage(EventId = InternalErrorId, EventName = "InternalError", Level = LogLevel.Error,
        Message = "internal error {Doing}: {ExceptionType}: {Problem} (at {Site}); the node goes on, further faults there are only counted")]
    public static partial void InternalError(ILogger logger, Exception exception, string doing, string exceptionType, string problem, string site);

    [LoggerMessage(EventId = InternalErrorsSaturatedId, EventName = "InternalErrorsSaturated", Level = LogLevel.Error,
        Message = "internal error: {Sites} distinct faults reported; further ones are only counted (statistics: InternalErrors)")]
    public static partial void InternalErrorsSaturated(ILogger logger, int sites);

    [LoggerMessage(EventId = SendRefusedId, EventName = "SendRefused", Level = LogLevel.Debug,
        Message = "a datagram to {Destination} was not sent: the send policy refuses it")]
    public static partial void SendRefused(ILogger logger, IPEndPoint destination);
}
