using Microsoft.Extensions.Logging;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// The hosted node's log messages. Event ids are fixed: dashboards and alerts key on them.
/// </summary>
internal static partial class Log
{
    public const int NodeStartedId = 1;
    public const int NodeJoinedId = 2;
    public const int JoinFoundNoNodesId = 3;
    public const int JoinFailedId = 4;
    public const int NodeStoppedId = 5;
    public const int StateSavedId = 6;
    public const int StartFailedId = 7;
    public const int StopFailedId = 8;
    // 9 was NodeWarning: the node now logs its warnings itself (category MainlineDht.DhtNode, ids 100 and up).
    public const int StateFileStatusId = 10;
    public const int AwaitingContactId = 11;

    [LoggerMessage(EventId = NodeStartedId, EventName = "NodeStarted", Level = LogLevel.Information,
        Message = "DHT node {NodeId} started on {EndPoint}")]
    public static partial void NodeStarted(ILogger logger, string nodeId, string endPoint);

    [LoggerMessage(EventId = NodeJoinedId, EventName = "NodeJoined", Level = LogLevel.Information,
        Message = "DHT node joined the network: {Nodes} nodes in the routing table after {ElapsedMilliseconds} ms ({NodesQueried} nodes queried)")]
    public static partial void NodeJoined(ILogger logger, int nodes, long elapsedMilliseconds, int nodesQueried);

    [LoggerMessage(EventId = JoinFoundNoNodesId, EventName = "JoinFoundNoNodes", Level = LogLevel.Warning,
        Message = "DHT join reached no node ({BootstrapNodes} bootstrap nodes configured, public routers {PublicRouters}); the node tries again in {RetryDelay}, then at doubling intervals up to {MaxRetryDelay}")]
    public static partial void JoinFoundNoNodes(ILogger logger, int bootstrapNodes, string publicRouters, TimeSpan retryDelay, TimeSpan maxRetryDelay);

    [LoggerMessage(EventId = JoinFailedId, EventName = "JoinFailed", Level = LogLevel.Error,
        Message = "DHT join failed; the node tries again in {RetryDelay}")]
    public static partial void JoinFailed(ILogger logger, Exception exception, TimeSpan retryDelay);

    [LoggerMessage(EventId = NodeStoppedId, EventName = "NodeStopped", Level = LogLevel.Information,
        Message = "DHT node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, string nodeId);

    [LoggerMessage(EventId = StateSavedId, EventName = "StateSaved", Level = LogLevel.Information,
        Message = "DHT state saved to {StateFile}")]
    public static partial void StateSaved(ILogger logger, string stateFile);

    [LoggerMessage(EventId = StartFailedId, EventName = "StartFailed", Level = LogLevel.Error,
        Message = "DHT node could not start on {EndPoint}")]
    public static partial void StartFailed(ILogger logger, Exception exception, string endPoint);

    [LoggerMessage(EventId = StopFailedId, EventName = "StopFailed", Level = LogLevel.Error,
        Message = "DHT node {NodeId} did not stop cleanly")]
    public static partial void StopFailed(ILogger logger, Exception exception, string nodeId);

    [LoggerMessage(EventId = StateFileStatusId, EventName = "StateFileStatus", Level = LogLevel.Information,
        Message = "DHT state file: {Status}")]
    public static partial void StateFileStatus(ILogger logger, string status);

    [LoggerMessage(EventId = AwaitingContactId, EventName = "AwaitingContact", Level = LogLevel.Information,
        Message = "DHT node has no bootstrap node and the public routers are off: it joins when other nodes contact it")]
    public static partial void AwaitingContact(ILogger logger);
}
