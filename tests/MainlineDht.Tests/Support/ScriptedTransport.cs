using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Support;

/// <summary>
/// A transport with no network behind it: the test hands the node datagrams from any source and
/// reads, byte for byte, what the node sends. Nothing leaves the process.
/// </summary>
internal sealed class ScriptedTransport(IPEndPoint localEndPoint) : IDatagramTransport
{
    private IDatagramReceiver? _receiver;

    public IPEndPoint LocalEndPoint { get; } = localEndPoint;

    /// <summary>Every datagram the node sent, in order.</summary>
    public List<(byte[] Datagram, IPEndPoint Destination)> Sent { get; } = [];

    /// <summary>When set, <see cref="TrySend"/> throws it (a transport with a bug).</summary>
    public Func<Exception>? SendFault { get; set; }

    public void Start(IDatagramReceiver receiver) => _receiver = receiver;

    public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
    {
        if (SendFault is not null)
        {
            throw SendFault();
        }

        Sent.Add((datagram.ToArray(), destination));
        return true;
    }

    /// <summary>Delivers <paramref name="datagram"/> from <paramref name="source"/> and returns the node's reply to it (a response or an error), or null.</summary>
    public byte[]? Exchange(byte[] datagram, IPEndPoint source)
    {
        int before = Sent.Count;
        _receiver!.OnDatagram(datagram, source);
        foreach ((byte[] sent, IPEndPoint destination) in Sent.Skip(before))
        {
            // The node may also ping a new querier to verify it: skip its queries.
            if (destination.Equals(source) && KrpcCodec.Decode(sent) is not KrpcQuery)
            {
                return sent;
            }
        }

        return null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
