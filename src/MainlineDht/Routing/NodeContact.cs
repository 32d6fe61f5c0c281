using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>A node id and the endpoint to reach it at: what the caller needs to send a ping.</summary>
internal readonly record struct NodeContact(NodeId Id, IPEndPoint EndPoint);
