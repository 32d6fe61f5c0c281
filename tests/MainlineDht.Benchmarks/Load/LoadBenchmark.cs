using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using MainlineDht.Protocol;

namespace MainlineDht.Benchmarks.Load;

/// <summary>
/// The load benchmark: one query generator (C, compiled at run time with gcc) floods, in turn, a
/// plain UDP echo (C), libtorrent 2.0.8 (its DHT limits off) and our <see cref="DhtNode"/> — once
/// with its default settings and once with the reply byte budget lifted — from many source
/// addresses (one socket per 127.x address), and prints answered queries per second with the
/// ratios ours/echo and ours/libtorrent. Everything stays on loopback; run it in a loopback-only
/// network namespace (see the README's "Load" section).
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project tests/MainlineDht.Benchmarks -- load [--seconds N] [--rounds N] [--sources N] [--window N] [--query ping|find_node|get_peers|all] [--targets echo,libtorrent,defaults,silent,lifted] [--receivers 1,2,1u,2u]</c>
/// (<c>--receivers</c>: also our node, budget lifted, with that many receiving threads each, instead of the transport's default;
/// a <c>u</c> after the count: receiving one datagram at a time instead of in batches).
/// </remarks>
internal static class LoadBenchmark
{
    private const string EchoAddress = "127.0.0.5";
    private const int EchoPort = 7000;
    private const string LibtorrentAddress = "127.0.0.20";
    private const int LibtorrentPort = 6881;
    private const string FirstSource = "127.10.0.1";

    public static async Task<int> RunAsync(string[] args)
    {
        string query = Option(args, "--query") ?? "all";
        double seconds = double.Parse(Option(args, "--seconds") ?? "8", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option(args, "--rounds") ?? "1", CultureInfo.InvariantCulture);
        int sources = int.Parse(Option(args, "--sources") ?? "1024", CultureInfo.InvariantCulture);
        int window = int.Parse(Option(args, "--window") ?? "128", CultureInfo.InvariantCulture);
        string[] kinds = query == "all" ? ["ping", "find_node", "get_peers"] : [query];
        string[] only = (Option(args, "--targets") ?? "echo,libtorrent,defaults,silent,lifted").Split(',');
        string[] receivers = Option(args, "--receivers")?.Split(',') ?? [];

        if (!OnlyLoopback())
        {
            Console.Error.WriteLine("warning: interfaces other than lo are up; run this in a loopback-only namespace:");
            Console.Error.WriteLine("  unshare --net -- bash -c 'ip link set lo up && exec \"$@\"' x dotnet run -c Release --project tests/MainlineDht.Benchmarks -- load");
        }

        await using var tools = await NativeTools.BuildAsync().ConfigureAwait(false);
        await using var echo = await tools.StartEchoAsync(EchoAddress, EchoPort).ConfigureAwait(false);
        await using var libtorrent = !only.Contains("libtorrent") ? null : await ExternalProcess.StartLibtorrentAsync(tools.Directory, LibtorrentAddress, LibtorrentPort).ConfigureAwait(false);

        // Our node three times: as it ships (the generator's sources answer its pings, as DHT nodes
        // do); as it ships, flooded by sources that never answer (spoofed ones would not), whom the
        // reply byte budget holds by design; and with that budget lifted.
        await using DhtNode defaults = await StartOursAsync("127.0.0.1", replyBytesPerSecond: null).ConfigureAwait(false);
        await using DhtNode silent = await StartOursAsync("127.0.0.3", replyBytesPerSecond: null).ConfigureAwait(false);
        await using DhtNode lifted = await StartOursAsync("127.0.0.2", replyBytesPerSecond: 0).ConfigureAwait(false);
        var threaded = new List<(string Receivers, DhtNode Node)>();
        foreach (string spec in receivers)
        {
            int count = int.Parse(spec.TrimEnd('u'), CultureInfo.InvariantCulture);
            bool batched = !spec.EndsWith('u') && Transport.MessageBatch.IsSupported;
            threaded.Add(($"{count} thr{(batched ? string.Empty : ", 1 by 1")}", await StartOursAsync($"127.0.0.{10 + threaded.Count}", replyBytesPerSecond: 0, count, batched).ConfigureAwait(false)));
        }

        var libtorrentEndPoint = new IPEndPoint(IPAddress.Parse(LibtorrentAddress), LibtorrentPort);
        List<DhtNode> helpers = await FillRoutingTablesAsync([defaults, silent, lifted, .. threaded.Select(t => t.Node)], libtorrent).ConfigureAwait(false);
        try
        {
            Console.WriteLine($"uptime: {Uptime()}");
            Console.WriteLine($"ours {defaults.LocalEndPoint} (defaults) and {lifted.LocalEndPoint} (ReplyBytesPerSecond = 0): {defaults.GetStatistics().RoutingTableSize} and {lifted.GetStatistics().RoutingTableSize} nodes in their tables");
            Console.WriteLine(libtorrent is null
                ? "libtorrent: not run (needs Debian's python3-libtorrent for /usr/bin/python3)"
                : $"libtorrent {libtorrentEndPoint}: {LibtorrentNodes(libtorrentEndPoint)} nodes in a find_node reply");
            Console.WriteLine($"generator: {sources} source addresses from {FirstSource}, {window} queries in flight, {seconds} s per target after 1 s of warm-up");

            var targets = new List<(string Name, IPEndPoint EndPoint, bool Echo, DhtNode? Node, bool Answer)>();
            if (only.Contains("echo"))
            {
                targets.Add(("udp echo (C)", new IPEndPoint(IPAddress.Parse(EchoAddress), EchoPort), true, null, true));
            }

            if (libtorrent is not null)
            {
                targets.Add(("libtorrent 2.0.8", libtorrentEndPoint, false, null, true));
            }

            if (only.Contains("defaults"))
            {
                targets.Add(("ours, defaults", defaults.LocalEndPoint, false, defaults, true));
            }

            if (only.Contains("silent"))
            {
                targets.Add(("ours, defaults, silent", silent.LocalEndPoint, false, silent, false));
            }

            if (only.Contains("lifted"))
            {
                targets.Add(("ours, budget lifted", lifted.LocalEndPoint, false, lifted, true));
            }

            foreach ((string spec, DhtNode node) in threaded)
            {
                targets.Add(($"ours, lifted, {spec}", node.LocalEndPoint, false, node, true));
            }

            var ratios = new Dictionary<string, List<double>>();
            for (int round = 1; round <= rounds; round++)
            {
                Console.WriteLine();
                Console.WriteLine($"round {round} of {rounds} (uptime: {Uptime()})");
                Console.WriteLine($"{"query",-10} {"target",-28} {"answered/s",11} {"p50 µs",8} {"p99 µs",8} {"lost",8}  node counters");
                foreach (string kind in kinds)
                {
                    var rates = new Dictionary<string, double>();
                    foreach ((string name, IPEndPoint endPoint, bool isEcho, DhtNode? node, bool answer) in targets)
                    {
                        DhtNodeStatistics? before = node?.GetStatistics();
                        long allocated = GC.GetTotalAllocatedBytes(precise: true);
                        GeneratorResult r = await tools.GenerateAsync(endPoint, kind, seconds, window, sources, FirstSource, isEcho, answer).ConfigureAwait(false);
                        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                        rates[name] = r.PerSecond;
                        string perQuery = node is null ? string.Empty : $"{allocated / (double)Math.Max(1, node.GetStatistics().QueriesAnswered - before!.QueriesAnswered):N0} B allocated per answer (whole process), ";
                        Console.WriteLine($"{kind,-10} {name,-28} {r.PerSecond,11:N0} {r.P50Micros,8:N0} {r.P99Micros,8:N0} {r.Lost,8:N0}  {perQuery}{Counters(before, node?.GetStatistics())}{(r.PingsAnswered > 0 ? $", its pings answered {r.PingsAnswered:N0}" : string.Empty)}");
                    }

                    foreach (string ours in new[] { "ours, defaults", "ours, budget lifted" }.Concat(threaded.Select(t => $"ours, lifted, {t.Receivers}")))
                    {
                        foreach (string reference in new[] { "udp echo (C)", "libtorrent 2.0.8" })
                        {
                            if (rates.TryGetValue(ours, out double rate) && rates.TryGetValue(reference, out double baseline) && baseline > 0)
                            {
                                string key = $"{kind,-10} {ours} / {reference}";
                                double ratio = rate / baseline;
                                (ratios.TryGetValue(key, out List<double>? list) ? list : ratios[key] = []).Add(ratio);
                                Console.WriteLine($"  {ours} / {reference}: {ratio:F2}");
                            }
                        }
                    }
                }
            }

            if (rounds > 1)
            {
                Console.WriteLine();
                Console.WriteLine($"ratios over {rounds} rounds: median (min–max)");
                foreach ((string key, List<double> values) in ratios)
                {
                    values.Sort();
                    double median = values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
                    Console.WriteLine($"  {key}: {median:F2} ({values[0]:F2}–{values[^1]:F2})");
                }
            }

            Console.WriteLine($"uptime: {Uptime()}");
        }
        finally
        {
            foreach (DhtNode node in threaded.Select(t => t.Node))
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            foreach (DhtNode helper in helpers)
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }

    private static Task<DhtNode> StartOursAsync(string address, int? replyBytesPerSecond, int receivers = 0, bool batched = true)
    {
        var options = new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse(address), 0),
            UsePublicRouters = false,
            SendPolicy = Transport.SendPolicy.LoopbackOnly(),
        };
        if (replyBytesPerSecond is int rate)
        {
            options = options with { ReplyBytesPerSecond = rate };
        }

        return receivers == 0
            ? DhtNode.StartAsync(options)
            : DhtNode.BindAndStartAsync(options, (endPoint, policy) => Transport.UdpTransport.Bind(endPoint, policy, receivers, batched), CancellationToken.None);
    }

    /// <summary>
    /// Sixteen helper nodes enter every target's routing table (so that <c>find_node</c> and
    /// <c>get_peers</c> answer with nodes): our nodes ping them; libtorrent is told of them
    /// (<c>add_dht_node</c>) and pings them before it takes them in.
    /// </summary>
    private static async Task<List<DhtNode>> FillRoutingTablesAsync(DhtNode[] ours, ExternalProcess? libtorrent)
    {
        var helpers = new List<DhtNode>();
        for (int i = 1; i <= 16; i++)
        {
            helpers.Add(await DhtNode.StartAsync(new DhtNodeOptions
            {
                BindEndPoint = new IPEndPoint(IPAddress.Parse($"127.0.3.{i}"), 0),
                UsePublicRouters = false,
                SendPolicy = Transport.SendPolicy.LoopbackOnly(),
            }).ConfigureAwait(false));
        }

        foreach (DhtNode helper in helpers)
        {
            foreach (DhtNode node in ours)
            {
                await node.PingAsync(helper.LocalEndPoint).ConfigureAwait(false);
            }

            if (libtorrent is not null)
            {
                await libtorrent.SendLineAsync($"add {helper.LocalEndPoint.Address} {helper.LocalEndPoint.Port}").ConfigureAwait(false);
            }
        }

        if (libtorrent is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // libtorrent's pings back
        }

        return helpers;
    }

    /// <summary>How many nodes libtorrent's <c>find_node</c> reply carries (its table, as the benchmark's queries see it).</summary>
    private static int LibtorrentNodes(IPEndPoint libtorrent)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.4.1"), 0));
        socket.ReceiveTimeout = 2000;
        socket.SendTo("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:fn1:y1:qe"u8, libtorrent);
        byte[] buffer = new byte[2048];
        try
        {
            int n = socket.Receive(buffer);
            return KrpcCodec.TryDecode(buffer.AsMemory(0, n), out KrpcMessage? message, out _) && message is KrpcResponse response
                ? response.Nodes.Length / CompactFormat.NodeV4Size
                : 0;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return 0;
        }
    }

    private static string Counters(DhtNodeStatistics? before, DhtNodeStatistics? after) =>
        before is null || after is null
            ? string.Empty
            : $"answered {after.QueriesAnswered - before.QueriesAnswered:N0}, rate-limited {after.QueriesRateLimited - before.QueriesRateLimited:N0}, "
              + $"banned {after.QueriesFromBannedIps - before.QueriesFromBannedIps:N0}, over budget {after.RepliesOverBudget - before.RepliesOverBudget:N0}, "
              + $"withheld {after.RepliesWithheld - before.RepliesWithheld:N0}, own queries timed out {after.Timeouts - before.Timeouts:N0}";

    private static bool OnlyLoopback() =>
        NetworkInterface.GetAllNetworkInterfaces().All(i => i.NetworkInterfaceType == NetworkInterfaceType.Loopback);

    private static string Uptime()
    {
        try
        {
            string[] load = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {load[0]}, {load[1]}, {load[2]}";
        }
        catch (IOException)
        {
            return "load average unknown";
        }
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
