using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MainlineDht.Protocol;

namespace MainlineDht.Benchmarks.Load;

/// <summary>
/// The load benchmark: one <see cref="DhtNode"/> on 127.0.0.1 and a generator on other loopback
/// addresses that keeps a window of queries in flight per client socket, matching replies by
/// transaction id. Reports answered queries per second and p50/p99 latency. Everything stays on
/// loopback.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project tests/MainlineDht.Benchmarks -- load [--query ping|find_node|get_peers|get_peers_values|all] [--seconds N] [--clients N] [--window N]</c>
/// </remarks>
internal static class LoadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        string query = Option(args, "--query") ?? "all";
        double seconds = double.Parse(Option(args, "--seconds") ?? "10", CultureInfo.InvariantCulture);
        int clients = int.Parse(Option(args, "--clients") ?? "2", CultureInfo.InvariantCulture);
        int window = int.Parse(Option(args, "--window") ?? "128", CultureInfo.InvariantCulture);
        string[] kinds = query == "all" ? ["ping", "find_node", "get_peers", "get_peers_values"] : [query];

        await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            QueriesPerSecondPerIp = 0,
            UsePublicRouters = false,
            SendPolicy = Transport.SendPolicy.LoopbackOnly(),
        });
        await FillRoutingTableAsync(node);
        NodeId infoHash = NodeId.Parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        await AnnouncePeersAsync(node, infoHash, 50);

        Console.WriteLine($"node {node.LocalEndPoint}: {node.GetStatistics().RoutingTableSize} nodes in its table, {node.GetStatistics().StoredPeers} peers stored");
        Console.WriteLine($"{"query",-18} {"answered/s",12} {"p50 µs",9} {"p99 µs",9} {"lost",7}");
        foreach (string kind in kinds)
        {
            byte[] template = kind switch
            {
                "ping" => Encoding.Latin1.GetBytes("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:xx1:y1:qe"),
                "find_node" => Encoding.Latin1.GetBytes("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:xx1:y1:qe"),
                "get_peers" => Encoding.Latin1.GetBytes("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:xx1:y1:qe"),
                "get_peers_values" => GetPeersFor(infoHash),
                _ => throw new ArgumentException($"unknown query kind '{kind}'"),
            };
            Generate(node.LocalEndPoint, template, TimeSpan.FromSeconds(1), clients, window); // warm-up: JIT, caches
            Result r = Generate(node.LocalEndPoint, template, TimeSpan.FromSeconds(seconds), clients, window);
            Console.WriteLine($"{kind,-18} {r.PerSecond,12:N0} {r.P50Micros,9:N0} {r.P99Micros,9:N0} {r.Lost,7:N0}");
        }

        return 0;
    }

    private static byte[] GetPeersFor(NodeId infoHash)
    {
        string ih = Encoding.Latin1.GetString(infoHash.ToArray());
        return Encoding.Latin1.GetBytes($"d1:ad2:id20:abcdefghij01234567899:info_hash20:{ih}e1:q9:get_peers1:t2:xx1:y1:qe");
    }

    /// <summary>Sixteen helper nodes ping the node; it verifies them and keeps them in its table.</summary>
    private static async Task FillRoutingTableAsync(DhtNode node)
    {
        var helpers = new List<DhtNode>();
        for (int i = 1; i <= 16; i++)
        {
            helpers.Add(await DhtNode.StartAsync(new DhtNodeOptions
            {
                BindEndPoint = new IPEndPoint(IPAddress.Parse($"127.0.3.{i}"), 0),
                UsePublicRouters = false,
                SendPolicy = Transport.SendPolicy.LoopbackOnly(),
            }));
        }

        foreach (DhtNode helper in helpers)
        {
            await node.PingAsync(helper.LocalEndPoint);
        }

        // The helpers stay alive for the process: the node's table refers to them.
        GC.KeepAlive(helpers);
        Helpers.AddRange(helpers);
    }

    private static readonly List<DhtNode> Helpers = [];

    /// <summary>Announces one peer per loopback address (stores keep one entry per IP).</summary>
    private static async Task AnnouncePeersAsync(DhtNode node, NodeId infoHash, int count)
    {
        byte[] getPeers = GetPeersFor(infoHash);
        for (int i = 1; i <= count; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.2.{i}"), 0));
            socket.SendTo(getPeers, node.LocalEndPoint);
            byte[] buffer = new byte[2048];
            int n = socket.Receive(buffer);
            var reply = (KrpcResponse)KrpcCodec.Decode(buffer.AsMemory(0, n).ToArray());
            var announce = new AnnouncePeerQuery { Id = NodeId.Parse("0000000000000000000000000000000000000001"), InfoHash = infoHash, Port = 6881, Token = reply.Token.ToArray(), TransactionId = "an"u8.ToArray() };
            socket.SendTo(KrpcCodec.Encode(announce), node.LocalEndPoint);
            socket.Receive(buffer);
        }

        await Task.CompletedTask;
    }

    private readonly record struct Result(double PerSecond, double P50Micros, double P99Micros, long Lost);

    private static Result Generate(IPEndPoint target, byte[] template, TimeSpan duration, int clients, int window)
    {
        int tOffset = IndexOf(template, "1:t2:"u8) + 5;
        var latencies = new List<long>[clients];
        long[] answered = new long[clients];
        long[] lost = new long[clients];
        var threads = new Thread[clients];
        var stopwatch = Stopwatch.StartNew();
        for (int c = 0; c < clients; c++)
        {
            int client = c;
            latencies[client] = new List<long>(1 << 20);
            threads[client] = new Thread(() => RunClient(client))
            {
                IsBackground = true,
            };
            threads[client].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        double elapsed = stopwatch.Elapsed.TotalSeconds;
        List<long> all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        double toMicros = 1_000_000.0 / Stopwatch.Frequency;
        return new Result(
            answered.Sum() / elapsed,
            all.Count == 0 ? 0 : all[all.Count / 2] * toMicros,
            all.Count == 0 ? 0 : all[(int)(all.Count * 0.99)] * toMicros,
            lost.Sum());

        void RunClient(int client)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.ReceiveBufferSize = 4 << 20;
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.1.{client + 1}"), 0));
            socket.Connect(target);
            socket.ReceiveTimeout = 200;
            byte[] query = (byte[])template.Clone();
            byte[] buffer = new byte[2048];
            long[] sentAt = new long[65536];
            bool[] inFlight = new bool[65536];
            int outstanding = 0;
            ushort next = 0;
            long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                while (outstanding < window)
                {
                    ushort t = next++;
                    query[tOffset] = (byte)(t >> 8);
                    query[tOffset + 1] = (byte)t;
                    if (inFlight[t])
                    {
                        lost[client]++;
                        outstanding--;
                    }

                    sentAt[t] = Stopwatch.GetTimestamp();
                    inFlight[t] = true;
                    socket.Send(query);
                    outstanding++;
                }

                int received = 0;
                while (received < window / 2)
                {
                    int n;
                    try
                    {
                        n = socket.Receive(buffer);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                    {
                        // Nothing came back for 200 ms: count what is in flight as lost and start over.
                        lost[client] += outstanding;
                        Array.Clear(inFlight);
                        outstanding = 0;
                        break;
                    }

                    received++;
                    int at = IndexOf(buffer.AsSpan(0, n), "1:t2:"u8);
                    if (at < 0)
                    {
                        continue;
                    }

                    ushort t = (ushort)((buffer[at + 5] << 8) | buffer[at + 6]);
                    if (!inFlight[t])
                    {
                        continue;
                    }

                    inFlight[t] = false;
                    outstanding--;
                    answered[client]++;
                    latencies[client].Add(Stopwatch.GetTimestamp() - sentAt[t]);
                }
            }
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
