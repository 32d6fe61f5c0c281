using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>The third-party DHT implementations the suite runs.</summary>
public enum DhtClientKind
{
    /// <summary>libtorrent-rasterbar 2.0.8 (Debian <c>python3-libtorrent</c>), run by <c>harness/libtorrent_node.py</c>.</summary>
    Libtorrent,

    /// <summary>WebTorrent's <c>bittorrent-dht</c> 11.0.12 (npm), run by <c>harness/webtorrent_node.mjs</c>.</summary>
    WebTorrent,
}

/// <summary>
/// One real third-party DHT node as a child process: a harness script (see
/// <c>harness/README.md</c>) bound to one loopback address, driven by one JSON command per stdin
/// line and answering one JSON line per command, matched by <c>seq</c>. Every wait is bounded;
/// disposing quits the process, or kills it.
/// </summary>
public sealed partial class RealDhtClient : IAsyncDisposable
{
    /// <summary>Where the harness scripts are (the source tree: node_modules lives beside them).</summary>
    public static readonly string HarnessDirectory =
        Environment.GetEnvironmentVariable("MAINLINEDHT_HARNESS_DIR")
        ?? typeof(RealDhtClient).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HarnessDirectory").Value!;

    /// <summary>The Python that has libtorrent: Debian's, not a pyenv one on PATH.</summary>
    public const string LibtorrentPython = "/usr/bin/python3";

    private const int StderrLines = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(3);

    private readonly Process _process;
    private readonly Dictionary<long, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly Lock _gate = new();
    private readonly Queue<string> _stderr = new();
    private Task _reader = Task.CompletedTask;
    private long _nextSeq;
    private string? _exitReason;
    private bool _disposed;

    private RealDhtClient(DhtClientKind kind, Process process)
    {
        Kind = kind;
        _process = process;
    }

    /// <summary>Which client this is.</summary>
    public DhtClientKind Kind { get; }

    /// <summary>Where the client's DHT listens (its address and UDP port).</summary>
    public IPEndPoint EndPoint { get; private set; } = null!;

    /// <summary>The client's node id, as it reported at start.</summary>
    public NodeId Id { get; private set; }

    /// <summary>
    /// The client's DHT nodes, one per listen socket (address family): one, or two for a
    /// dual-stack libtorrent (<see cref="StartDualStackAsync"/>), the IPv4 one first.
    /// </summary>
    public IReadOnlyList<ClientSocket> Sockets { get; private set; } = [];

    /// <summary>The client and version it reported, e.g. <c>libtorrent 2.0.8.0</c>.</summary>
    public string Client { get; private set; } = "";

    /// <summary>The last lines the harness wrote to stderr (its log), for failure messages.</summary>
    public string StderrTail
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>
    /// Null when <paramref name="kind"/> can run on this machine; otherwise what is missing and
    /// how to install it. A missing client fails the suite: it is never skipped.
    /// </summary>
    public static string? CheckInstalled(DhtClientKind kind)
    {
        if (!Directory.Exists(HarnessDirectory))
        {
            return $"the harness folder {HarnessDirectory} does not exist";
        }

        const string Install = "install it with: sudo bash tests/install-interop-deps.sh";
        switch (kind)
        {
            case DhtClientKind.Libtorrent:
                if (!File.Exists(LibtorrentPython))
                {
                    return $"{LibtorrentPython} not found (libtorrent runs under Debian's python3); {Install}";
                }

                (int code, string output) = Run(LibtorrentPython, ["-c", "import libtorrent; print(libtorrent.__version__)"]);
                return code == 0 && output.StartsWith("2.0.", StringComparison.Ordinal)
                    ? null
                    : $"{LibtorrentPython} cannot import libtorrent 2.0.x (Debian package python3-libtorrent): exit {code}, {output.Trim()}; {Install}";

            case DhtClientKind.WebTorrent:
                string package = Path.Combine(HarnessDirectory, "node_modules", "bittorrent-dht", "package.json");
                if (!File.Exists(package))
                {
                    return $"bittorrent-dht is not installed ({package} is missing: npm ci in {HarnessDirectory}); {Install}";
                }

                (int nodeCode, string nodeOutput) = Run("node", ["--version"]);
                return nodeCode == 0 ? null : $"node (Node.js) cannot run: {nodeOutput.Trim()}; install Node.js >= 12.20";

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>
    /// Starts the client on <paramref name="bind"/>:<paramref name="port"/> (0: an ephemeral port)
    /// and waits for its ready line. Throws, with the harness's log, when it does not start.
    /// <paramref name="arguments"/> go to the harness as they are (e.g. libtorrent's <c>--plain-buckets</c>).
    /// </summary>
    public static Task<RealDhtClient> StartAsync(
        DhtClientKind kind, IPAddress bind, int port = 0, IReadOnlyList<string>? arguments = null, CancellationToken cancellationToken = default) =>
        StartProcessAsync(kind, [bind], port, arguments, cancellationToken);

    /// <summary>
    /// Starts libtorrent dual-stack: listening on <paramref name="bindV4"/> (a 127.x.y.z address)
    /// and on <c>::1</c>, both on <paramref name="port"/> (0: an ephemeral port, then a different
    /// one per family). libtorrent runs one DHT node per listen socket, each with its own id and
    /// routing table (<see cref="Sockets"/>); <see cref="EndPoint"/> and <see cref="Id"/> are
    /// those of the IPv4 node. Every IPv6 node of a test shares the one IPv6 loopback address:
    /// the harness turns off libtorrent's one-node-per-IP (per /64) rule and its per-IP rate limit.
    /// </summary>
    public static Task<RealDhtClient> StartDualStackAsync(
        IPAddress bindV4, int port = 0, IReadOnlyList<string>? arguments = null, CancellationToken cancellationToken = default)
    {
        if (bindV4.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("The IPv4 address of a dual-stack client must be an IPv4 address (127.x.y.z).", nameof(bindV4));
        }

        return StartProcessAsync(DhtClientKind.Libtorrent, [bindV4, IPAddress.IPv6Loopback], port, arguments, cancellationToken);
    }

    private static async Task<RealDhtClient> StartProcessAsync(
        DhtClientKind kind, IReadOnlyList<IPAddress> binds, int port, IReadOnlyList<string>? arguments, CancellationToken cancellationToken)
    {
        if (!binds.All(IPAddress.IsLoopback))
        {
            throw new ArgumentException("Real clients bind to loopback only.", nameof(binds));
        }

        var start = new ProcessStartInfo
        {
            FileName = kind == DhtClientKind.Libtorrent ? LibtorrentPython : "node",
            WorkingDirectory = HarnessDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(kind == DhtClientKind.Libtorrent ? "libtorrent_node.py" : "webtorrent_node.mjs");
        foreach (IPAddress bind in binds)
        {
            start.ArgumentList.Add("--bind");
            start.ArgumentList.Add(bind.ToString());
        }

        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        foreach (string argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        if (Environment.GetEnvironmentVariable("MAINLINEDHT_INTEROP_VERBOSE") == "1")
        {
            start.ArgumentList.Add("--verbose");
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var client = new RealDhtClient(kind, process);
        process.ErrorDataReceived += (_, e) => client.OnStderr(e.Data);
        process.BeginErrorReadLine();
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(StartTimeout, cancellationToken);
            JsonObject ready = line is null
                ? throw new InvalidOperationException($"{kind} harness exited before it was ready")
                : JsonNode.Parse(line) as JsonObject ?? throw new InvalidOperationException($"{kind} harness wrote '{line}' instead of its ready line");
            if ((string?)ready["event"] != "ready")
            {
                throw new InvalidOperationException($"{kind} harness did not start: {line}");
            }

            client.EndPoint = new IPEndPoint(IPAddress.Parse((string)ready["host"]!), (int)ready["port"]!);
            client.Id = NodeId.Parse((string)ready["id"]!);
            client.Sockets = ready["sockets"] is JsonArray sockets
                ? sockets.Select(n => new ClientSocket(
                    new IPEndPoint(IPAddress.Parse((string)n!["host"]!), (int)n["port"]!), NodeId.Parse((string)n["id"]!))).ToList()
                : [new ClientSocket(client.EndPoint, client.Id)];
            client.Client = (string?)ready["client"] ?? kind.ToString();
            client._reader = Task.Run(client.ReadRepliesAsync, CancellationToken.None);
            return client;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or JsonException or FormatException or OperationCanceledException)
        {
            await client.KillAsync();
            string log = client.StderrTail;
            throw new InvalidOperationException(
                $"{kind} on {string.Join(" and ", binds)}, port {port}, did not start: {e.Message}\n--- harness stderr ---\n{log}", e);
        }
    }

    /// <summary>Sends one command and waits at most <paramref name="timeout"/> for its reply.</summary>
    public async Task<JsonObject> CommandAsync(JsonObject command, TimeSpan timeout)
    {
        var completion = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        long seq;
        lock (_gate)
        {
            if (_exitReason is not null)
            {
                throw new InvalidOperationException($"{Kind} harness is gone ({_exitReason}); stderr:\n{StderrTailUnlocked()}");
            }

            seq = ++_nextSeq;
            command["seq"] = seq;
            _pending[seq] = completion;
            try
            {
                _process.StandardInput.WriteLine(command.ToJsonString());
                _process.StandardInput.Flush();
            }
            catch (IOException e)
            {
                _pending.Remove(seq);
                throw new InvalidOperationException($"{Kind} harness does not take commands ({e.Message}); stderr:\n{StderrTailUnlocked()}", e);
            }
        }

        try
        {
            return await completion.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Kind} harness: no reply to {command.ToJsonString()} within {timeout.TotalSeconds:0.#} s; stderr:\n{StderrTail}");
        }
        finally
        {
            lock (_gate)
            {
                _pending.Remove(seq);
            }
        }
    }

    /// <summary>Asks the harness to quit, then kills it if it has not exited within a few seconds.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        try
        {
            lock (_gate)
            {
                if (_exitReason is null)
                {
                    _process.StandardInput.WriteLine("{\"cmd\":\"quit\"}");
                    _process.StandardInput.Close();
                }
            }

            using var quit = new CancellationTokenSource(QuitTimeout);
            await _process.WaitForExitAsync(quit.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // It did not quit in time, or its stdin was already closed: KillAsync ends it.
            OnStderr($"(test) {Kind} harness did not quit ({e.GetType().Name}: {e.Message}); killing it");
        }

        try
        {
            await KillAsync();
            await _reader.WaitAsync(QuitTimeout);
        }
        catch (TimeoutException)
        {
            // The process is gone (KillAsync made sure) but its stdout reader has not seen the end.
            OnStderr($"(test) {Kind} harness's stdout did not close within {QuitTimeout.TotalSeconds:0} s of its exit");
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Kills the process tree; throws when it is still running afterwards (a leaked child).</summary>
    private async Task KillAsync()
    {
        try
        {
            if (_process.HasExited)
            {
                return;
            }

            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException e)
        {
            // Process.Kill throws this when the process exited after HasExited was read.
            OnStderr($"(test) {Kind} harness exited before the kill: {e.Message}");
            return;
        }

        using var wait = new CancellationTokenSource(QuitTimeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException e)
        {
            throw new InvalidOperationException($"{Kind} harness (pid {_process.Id}) is still running {QuitTimeout.TotalSeconds:0} s after it was killed.", e);
        }
    }

    private async Task ReadRepliesAsync()
    {
        string reason = "stdout closed";
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is string line)
            {
                JsonObject? reply;
                try
                {
                    reply = JsonNode.Parse(line) as JsonObject;
                }
                catch (JsonException)
                {
                    OnStderr("(stdout, not JSON) " + line);
                    continue;
                }

                if (reply?["seq"] is JsonValue value && value.TryGetValue(out long seq))
                {
                    TaskCompletionSource<JsonObject>? waiter;
                    lock (_gate)
                    {
                        _pending.Remove(seq, out waiter);
                    }

                    waiter?.TrySetResult(reply);
                }
                else
                {
                    OnStderr("(stdout, unmatched) " + line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            reason = "stdout failed: " + e.Message;
        }

        List<TaskCompletionSource<JsonObject>> orphans;
        lock (_gate)
        {
            _exitReason = reason;
            orphans = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (TaskCompletionSource<JsonObject> orphan in orphans)
        {
            orphan.TrySetException(new InvalidOperationException($"{Kind} harness exited ({reason}) before replying; stderr:\n{StderrTail}"));
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > StderrLines)
            {
                _stderr.Dequeue();
            }
        }
    }

    private string StderrTailUnlocked() => string.Join('\n', _stderr);

    private static (int ExitCode, string Output) Run(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, "timed out");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
