using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Rpc;

/// <summary>How a query ended.</summary>
public enum RpcStatus
{
    /// <summary>The node answered with a response.</summary>
    Response,
    /// <summary>The node answered with a KRPC error.</summary>
    Error,
    /// <summary>No answer within the query timeout.</summary>
    Timeout,
    /// <summary>The caller cancelled the query.</summary>
    Cancelled,
    /// <summary>The query was not sent: too many queries in flight, the node is stopping, or the transport refused it.</summary>
    NotSent,
}

/// <summary>The outcome of one query: a response, an error, or why there is neither.</summary>
/// <param name="Status">How the query ended.</param>
/// <param name="EndPoint">Where the query was sent.</param>
/// <param name="Response">The response, when <paramref name="Status"/> is <see cref="RpcStatus.Response"/>.</param>
/// <param name="Error">The KRPC error, when <paramref name="Status"/> is <see cref="RpcStatus.Error"/>.</param>
/// <param name="RoundTripTime">Time from send to answer (zero when there was no answer).</param>
public readonly record struct RpcResult(RpcStatus Status, IPEndPoint EndPoint, KrpcResponse? Response, KrpcError? Error, TimeSpan RoundTripTime)
{
    /// <summary>True when the node answered (response or error): it is alive.</summary>
    public bool Answered => Status is RpcStatus.Response or RpcStatus.Error;
}
