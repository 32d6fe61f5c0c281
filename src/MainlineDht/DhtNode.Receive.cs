using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    private void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        // Decoding touches no state: it runs before the gate is taken, once; a reply to one of our
        // queries is re-based onto a copy of the datagram by the RPC client.
        bool decoded = KrpcCodec.TryDecode(datagram, out KrpcMessage? message, out KrpcDecodeError error);
        string? warning = null;
        RpcCompletion completion = default;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _context.Counters.DatagramsReceived++;
            try
            {
                if (!decoded)
                {
                    _dispatcher.OnMalformed(error, source);
                }
                else if (message is KrpcQuery query)
                {
                    _dispatcher.Dispatch(query, source);
                }
                else
                {
                    completion = _rpc.OnReply(message!, datagram, source);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug in a handler must not stop the node: it is counted, and the first fault at each
                // site is reported, once the gate is released (the callback must not run under it).
                warning = _context.NoteFault(e, $"handling a datagram from {source}");
            }
        }

        // What was sent from under the gate leaves now; then the awaiting caller of a reply hears of it.
        _outbox.Flush();
        completion.Deliver();
        if (warning is not null)
        {
            _context.Warn(warning);
        }
    }
}
