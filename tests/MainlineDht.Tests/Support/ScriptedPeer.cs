using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Support;

/// <summary>
/// A peer of an <see cref="InMemoryNetwork"/> that answers queries as the test scripts it (junk,
/// votes, silence): it records every query and sends back what <see cref="Answer"/> returns, under the
/// query's transaction id, with BEP 42 <c>ip</c> set to the querier's address unless
/// <see cref="ReportedAddress"/> says otherwise. Nothing leaves the process.
/// </summary>
internal sealed class ScriptedPeer : IDatagramReceiver
{
    private readonly InMemoryTransport _transport;

    public ScriptedPeer(InMemoryNetwork network, IPEndPoint endPoint, NodeId id)
    {
        Id = id;
        _transport = network.CreateTransport(endPoint);
        _transport.Start(this);
    }

    public NodeId Id { get; }

    public IPEndPoint EndPoint => _transport.LocalEndPoint;

    /// <summary>The queries received, in order, with their source.</summary>
    public List<(KrpcQuery Query, IPEndPoint Source)> Received { get; } = [];

    /// <summary>The response to a query (its transaction id, <c>ip</c> and id are filled in); null answers nothing. Default: a bare response.</summary>
    public Func<KrpcQuery, IPEndPoint, KrpcResponse?> Answer { get; set; } = (_, _) => new KrpcResponse();

    /// <summary>The address <c>ip</c> reports to the querier; default its real source address.</summary>
    public IPAddress? ReportedAddress { get; set; }

    /// <summary>A response naming <paramref name="nodes"/> in <c>nodes</c>.</summary>
    public static KrpcResponse Naming(params NodeInfo[] nodes) =>
        new() { Nodes = CompactFormat.WriteNodes(nodes, System.Net.Sockets.AddressFamily.InterNetwork), IncludedKeys = KrpcResponseKeys.Nodes };

    /// <summary>Sends a datagram of the test's making (a query to the node under test).</summary>
    public void Send(byte[] datagram, IPEndPoint destination) => _transport.TrySend(datagram, destination);

    public void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!KrpcCodec.TryDecode(datagram.ToArray(), out KrpcMessage? message, out _) || message is not KrpcQuery query)
        {
            return;
        }

        Received.Add((query, source));
        if (Answer(query, source) is not KrpcResponse script)
        {
            return;
        }

        byte[] ip = new byte[CompactFormat.PeerV6Size];
        int length = CompactFormat.WritePeer(new IPEndPoint(ReportedAddress ?? source.Address, source.Port), ip);
        var response = new KrpcResponse
        {
            Id = Id,
            TransactionId = query.TransactionId.ToArray(),
            ExternalAddress = ip.AsMemory(0, length),
            Nodes = script.Nodes,
            Nodes6 = script.Nodes6,
            Token = script.Token,
            Values = script.Values,
            Samples = script.Samples,
            Num = script.Num,
            Interval = script.Interval,
            IncludedKeys = script.IncludedKeys,
        };
        _transport.TrySend(KrpcCodec.Encode(response), source);
    }
}
