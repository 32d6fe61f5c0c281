using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>
/// A scripted peer on a loopback TCP port: every connection it accepts runs the test's script
/// with a <see cref="PeerScript"/>. What the script throws (other than the connection going away)
/// is kept in <see cref="Faults"/> for the test to assert on.
/// </summary>
internal sealed class FakePeer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<PeerScript, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private int _accepted;

    private FakePeer(IPAddress address, Func<PeerScript, Task> script)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _script = script;
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Accepted => Volatile.Read(ref _accepted);

    public List<Exception> Faults { get; } = [];

    public static FakePeer Start(Func<PeerScript, Task> script, string address = "127.0.0.1") => new(IPAddress.Parse(address), script);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return; // stopped
            }

            Interlocked.Increment(ref _accepted);
            lock (_gate)
            {
                _connections.Add(RunAsync(client));
            }
        }
    }

    private async Task RunAsync(TcpClient client)
    {
        using (client)
        {
            client.NoDelay = true;
            var script = new PeerScript(client.GetStream(), _stop.Token);
            try
            {
                await _script(script);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException or ObjectDisposedException)
            {
                // The other side closed the connection, or the peer was stopped: the script ends there.
            }
            catch (Exception e)
            {
                lock (Faults)
                {
                    Faults.Add(e);
                }
            }
        }
    }
}

/// <summary>What a <see cref="FakePeer"/>'s script does on one connection: raw bytes in and out.</summary>
internal sealed class PeerScript(NetworkStream stream, CancellationToken stop)
{
    public NetworkStream Stream { get; } = stream;

    public CancellationToken Stop { get; } = stop;

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer, Stop);
        return buffer;
    }

    /// <summary>Reads the other side's 68-byte handshake.</summary>
    public async Task<(NodeId InfoHash, byte[] Reserved, byte[] PeerId, byte[] Raw)> ReadHandshakeAsync()
    {
        byte[] raw = await ReadExactlyAsync(68);
        return (new NodeId(raw.AsSpan(28, 20)), raw[20..28], raw[48..68], raw);
    }

    /// <summary>Sends a handshake with the extension bit (and the DHT bit) when asked.</summary>
    public Task SendHandshakeAsync(NodeId infoHash, bool extensions = true, string protocol = "BitTorrent protocol")
    {
        byte[] handshake = new byte[1 + protocol.Length + 48];
        handshake[0] = (byte)protocol.Length;
        Bytes.Latin1(protocol).CopyTo(handshake, 1);
        int reserved = 1 + protocol.Length;
        if (extensions)
        {
            handshake[reserved + 5] = 0x10;
        }

        handshake[reserved + 7] = 0x01;
        infoHash.WriteTo(handshake.AsSpan(reserved + 8, 20));
        Bytes.Latin1("-FK0001-abcdefghijkl").CopyTo(handshake, reserved + 28);
        return SendAsync(handshake);
    }

    /// <summary>The next message: its id (-1 for a keep-alive) and payload.</summary>
    public async Task<(int Id, byte[] Payload)> ReadMessageAsync()
    {
        byte[] prefix = await ReadExactlyAsync(4);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length == 0)
        {
            return (-1, []);
        }

        byte[] body = await ReadExactlyAsync(length);
        return (body[0], body[1..]);
    }

    /// <summary>The next extended message, skipping any other.</summary>
    public async Task<(byte ExtendedId, byte[] Payload)> ReadExtendedAsync()
    {
        while (true)
        {
            (int id, byte[] payload) = await ReadMessageAsync();
            if (id == 20)
            {
                return (payload[0], payload[1..]);
            }
        }
    }

    public async Task SendAsync(byte[] bytes) => await Stream.WriteAsync(bytes, Stop);

    public Task SendMessageAsync(int id, byte[] payload)
    {
        byte[] message = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, 1 + payload.Length);
        message[4] = (byte)id;
        payload.CopyTo(message, 5);
        return SendAsync(message);
    }

    public Task SendExtendedAsync(byte extendedId, byte[] payload) => SendMessageAsync(20, [extendedId, .. payload]);

    /// <summary>Waits until the other side closes the connection (reading and dropping whatever comes).</summary>
    public async Task DrainAsync()
    {
        byte[] buffer = new byte[4096];
        int read;
        do
        {
            read = await Stream.ReadAsync(buffer, Stop);
        }
        while (read > 0);
    }
}
