using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Cli;

/// <summary>The options every command takes: where to bind, whom to join, how long to wait, how to print.</summary>
internal sealed class CommonOptions
{
    /// <param name="defaultBind">The --bind default.</param>
    /// <param name="defaultPort">The --port default.</param>
    /// <param name="oneShot">
    /// A one-shot command (a lookup, an announce, a ping): its node lives for seconds, so it runs
    /// BEP 43 read-only unless --full-node is given, and is never entered in others' routing tables.
    /// </param>
    /// <param name="publicRouters">Whether the command may fall back to the public routers (then --no-public-routers turns that off).</param>
    public CommonOptions(string defaultBind = "0.0.0.0", int defaultPort = 6881, bool oneShot = false, bool publicRouters = false)
    {
        Bind = new("--bind") { Description = "The local IP address to bind.", DefaultValueFactory = _ => defaultBind };
        Port = new("--port") { Description = "The local UDP port (0 picks a free one).", DefaultValueFactory = _ => defaultPort };
        FullNode = oneShot
            ? new("--full-node") { Description = "Answer queries like a long-lived node (other nodes may then list this short-lived one in their routing tables). Default: a BEP 43 read-only node, which sends ro=1 and answers nothing." }
            : null;
        NoPublicRouters = publicRouters
            ? new("--no-public-routers") { Description = "Never fall back to the public routers (router.bittorrent.com, …) when no --bootstrap node or saved node is given." }
            : null;
    }

    public Option<string> Bind { get; }

    public Option<int> Port { get; }

    public Option<string[]> Bootstrap { get; } = new("--bootstrap") { Description = "A node to join through, host:port (repeatable).", AllowMultipleArgumentsPerToken = false };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds to wait for the operation.", DefaultValueFactory = _ => 30 };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document on stdout and nothing else." };

    /// <summary><c>--full-node</c>, on one-shot commands only.</summary>
    public Option<bool>? FullNode { get; }

    /// <summary><c>--no-public-routers</c>, on commands that would otherwise fall back to them.</summary>
    public Option<bool>? NoPublicRouters { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Bind);
        command.Options.Add(Port);
        command.Options.Add(Bootstrap);
        command.Options.Add(Timeout);
        command.Options.Add(Json);
        if (FullNode is not null)
        {
            command.Options.Add(FullNode);
        }

        if (NoPublicRouters is not null)
        {
            command.Options.Add(NoPublicRouters);
        }
    }

    /// <summary>
    /// Builds node options from the parsed command line, the node's warnings going to
    /// <paramref name="warnings"/>; a bad value is a <see cref="CliException"/>.
    /// </summary>
    public DhtNodeOptions ToNodeOptions(ParseResult parse, Warnings warnings, string? stateFile = null)
    {
        string bind = parse.GetValue(Bind)!;
        if (!IPAddress.TryParse(bind, out IPAddress? address))
        {
            throw new CliException($"--bind: '{bind}' is not an IP address.");
        }

        int port = parse.GetValue(Port);
        if (port is < 0 or > 65535)
        {
            throw new CliException($"--port: {port} is not a port (0 to 65535).");
        }

        string[] bootstrap = parse.GetValue(Bootstrap) ?? [];
        foreach (string node in bootstrap)
        {
            if (!HostEndPoint.TryParse(node, out _))
            {
                throw new CliException($"--bootstrap: '{node}' is not host:port.");
            }
        }

        double timeout = parse.GetValue(Timeout);
        if (!(timeout > 0))
        {
            throw new CliException($"--timeout: {timeout.ToString(CultureInfo.InvariantCulture)} must be a positive number of seconds.");
        }

        return new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(address, port),
            BootstrapNodes = bootstrap,
            StateFile = stateFile,
            UsePublicRouters = NoPublicRouters is null || !parse.GetValue(NoPublicRouters),
            ReadOnly = FullNode is not null && !parse.GetValue(FullNode),
            ItemSignatureVerifier = Items.Ed25519ItemSignatureVerifier.Instance, // serves and reads BEP 44 mutable items
            OnWarning = warnings.Report,
        };
    }

    /// <summary>A token that fires after --timeout seconds or when the command is cancelled.</summary>
    public CancellationTokenSource TimeoutSource(ParseResult parse, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(Timeout)));
        return source;
    }

    /// <summary>Starts a node and joins the DHT; fails with one line when no bootstrap node answers.</summary>
    public async Task<DhtNode> StartJoinedNodeAsync(ParseResult parse, Warnings warnings, CancellationToken cancellationToken)
    {
        DhtNodeOptions options = ToNodeOptions(parse, warnings);
        DhtNode node = await StartNodeAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            Lookups.LookupReport join = await node.JoinAsync(cancellationToken).ConfigureAwait(false);
            if (join.Replies == 0)
            {
                throw new CliException($"could not join the DHT: no node answered ({Tried(options, savedNodes: false)}).");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whom a join asked, for a message: the given nodes, the saved ones, or the public routers.</summary>
    public static string Tried(DhtNodeOptions options, bool savedNodes)
    {
        var tried = new List<string>(options.BootstrapNodes);
        if (savedNodes)
        {
            tried.Add($"the nodes saved in {options.StateFile}");
        }

        if (options.UsePublicRouters)
        {
            tried.Add("the public routers");
        }
        else if (tried.Count == 0)
        {
            tried.Add("none: no --bootstrap given and the public routers are off");
        }

        return string.Join(", ", tried);
    }

    /// <summary>Resolves a host:port to one endpoint (IPv4 preferred).</summary>
    public static async Task<IPEndPoint> ResolveAsync(HostEndPoint host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Host, out IPAddress? address))
        {
            return new IPEndPoint(address, host.Port);
        }

        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host.Host, cancellationToken).ConfigureAwait(false);
            IPAddress chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new CliException($"'{host.Host}' has no address.");
            return new IPEndPoint(chosen, host.Port);
        }
        catch (SocketException e)
        {
            throw new CliException($"cannot resolve '{host.Host}': {e.Message}");
        }
    }

    /// <summary>Starts a node, turning bind failures into one clear line.</summary>
    public static async Task<DhtNode> StartNodeAsync(DhtNodeOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await DhtNode.StartAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new CliException($"cannot bind {options.BindEndPoint}: {e.Message}");
        }
    }
}

/// <summary>A failure to report as one line on stderr with a non-zero exit code.</summary>
internal sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
