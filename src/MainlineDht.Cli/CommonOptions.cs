using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Cli;

/// <summary>The options every command takes: where to bind, whom to join, how long to wait, how to print.</summary>
internal sealed class CommonOptions
{
    /// <param name="defaultBind">
    /// The addresses --bind defaults to (at most one IPv4 and one IPv6); null: <see cref="DualStack"/>.
    /// </param>
    /// <param name="defaultPort">The --port default.</param>
    /// <param name="oneShot">
    /// A one-shot command (a lookup, an announce, a ping): its node lives for seconds, so it runs
    /// BEP 43 read-only unless --full-node is given, and is never entered in others' routing tables.
    /// </param>
    /// <param name="publicRouters">Whether the command may fall back to the public routers (then --no-public-routers turns that off).</param>
    public CommonOptions(string[]? defaultBind = null, int defaultPort = 6881, bool oneShot = false, bool publicRouters = false)
    {
        string[] binds = defaultBind ?? DualStack;
        Bind = new("--bind")
        {
            Description = "A local IP address to bind; give it twice for one IPv4 and one IPv6 address (BEP 32: the node then runs on both, one routing table each).",
            DefaultValueFactory = _ => binds,
            AllowMultipleArgumentsPerToken = false,
        };
        Port = new("--port") { Description = "The local UDP port (0 picks a free one); the same for both addresses.", DefaultValueFactory = _ => defaultPort };
        FullNode = oneShot
            ? new("--full-node") { Description = "Answer queries like a long-lived node (other nodes may then list this short-lived one in their routing tables). Default: a BEP 43 read-only node, which sends ro=1 and answers nothing." }
            : null;
        NoPublicRouters = publicRouters
            ? new("--no-public-routers") { Description = "Never fall back to the public routers (router.bittorrent.com, …) when no --bootstrap node or saved node is given." }
            : null;
    }

    /// <summary>
    /// The default of the one-shot commands: every IPv4 interface, and every IPv6 one where the
    /// machine has IPv6 (a lookup then follows both families; a machine without IPv6 is not worth a
    /// warning on every lookup). <c>node</c> always asks for both and warns once when IPv6 cannot be bound.
    /// </summary>
    public static string[] DualStack { get; } = Socket.OSSupportsIPv6 ? ["0.0.0.0", "::"] : ["0.0.0.0"];

    public Option<string[]> Bind { get; }

    public Option<int> Port { get; }

    public Option<string[]> Bootstrap { get; } = new("--bootstrap") { Description = "A node to join through, host:port or [IPv6 address]:port (repeatable).", AllowMultipleArgumentsPerToken = false };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds to wait for the operation.", DefaultValueFactory = _ => 30 };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document on stdout and nothing else." };

    /// <summary><c>--ip-diversity</c>: which addresses the IP-diversity rules apply to.</summary>
    public Option<string> IpDiversity { get; } = new("--ip-diversity")
    {
        Description = "Which addresses the IP-diversity rules (one routing entry per IP, one node per /24 or /64 per bucket and per lookup) apply to: all, public (loopback, private and link-local exempt) or off.",
        DefaultValueFactory = _ => "public",
    };

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
        command.Options.Add(IpDiversity);
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
        (IPAddress? v4, IPAddress? v6) = ParseBind(parse.GetValue(Bind) ?? []);
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
                throw new CliException($"--bootstrap: '{node}' is not host:port (an IPv6 address as [address]:port).");
            }
        }

        double timeout = parse.GetValue(Timeout);
        if (!(timeout > 0))
        {
            throw new CliException($"--timeout: {timeout.ToString(CultureInfo.InvariantCulture)} must be a positive number of seconds.");
        }

        string diversity = parse.GetValue(IpDiversity)!;
        MainlineDht.IpDiversity ipDiversity = diversity.ToLowerInvariant() switch
        {
            "all" => MainlineDht.IpDiversity.All,
            "public" => MainlineDht.IpDiversity.Public,
            "off" => MainlineDht.IpDiversity.Off,
            _ => throw new CliException($"--ip-diversity: '{diversity}' is not all, public or off."),
        };

        return new DhtNodeOptions
        {
            BindEndPoint = v4 is null ? null : new IPEndPoint(v4, port),
            BindEndPointV6 = v6 is null ? null : new IPEndPoint(v6, port),
            IpDiversity = ipDiversity,
            BootstrapNodes = bootstrap,
            StateFile = stateFile,
            UsePublicRouters = NoPublicRouters is null || !parse.GetValue(NoPublicRouters),
            ReadOnly = FullNode is not null && !parse.GetValue(FullNode),
            ItemSignatureVerifier = Items.Ed25519ItemSignatureVerifier.Instance, // serves and reads BEP 44 mutable items
            LoggerFactory = new WarningLogger(warnings),
        };
    }

    /// <summary>
    /// The --bind addresses as the node's IPv4 and IPv6 address: one or two, at most one of each
    /// family (an IPv4-mapped IPv6 address counts as IPv4).
    /// </summary>
    public static (IPAddress? V4, IPAddress? V6) ParseBind(IReadOnlyList<string> binds)
    {
        if (binds.Count is 0 or > 2)
        {
            throw new CliException($"--bind: give one or two addresses (one IPv4, one IPv6), not {binds.Count}.");
        }

        IPAddress? v4 = null, v6 = null;
        string? v4Text = null, v6Text = null;
        foreach (string bind in binds)
        {
            if (!IPAddress.TryParse(bind, out IPAddress? address))
            {
                throw new CliException($"--bind: '{bind}' is not an IP address.");
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            bool isV4 = address.AddressFamily == AddressFamily.InterNetwork;
            if ((isV4 ? v4 : v6) is not null)
            {
                string family = isV4 ? "IPv4" : "IPv6";
                throw new CliException($"--bind: '{(isV4 ? v4Text : v6Text)}' and '{bind}' are both {family} addresses; give at most one IPv4 and one IPv6 address.");
            }

            if (isV4)
            {
                (v4, v4Text) = (address, bind);
            }
            else
            {
                (v6, v6Text) = (address, bind);
            }
        }

        return (v4, v6);
    }

    /// <summary>A node's endpoints for a message: <c>A</c>, or <c>A and [B]</c> for a dual-stack node.</summary>
    public static string EndPoints(IPEndPoint? v4, IPEndPoint? v6) =>
        v4 is not null && v6 is not null ? $"{v4} and {v6}" : (v4 ?? v6)?.ToString() ?? "nothing";

    /// <summary>The endpoints a running node receives on, for a status line.</summary>
    public static string EndPoints(DhtNode node) =>
        node.LocalEndPointV6 is { } v6 && !v6.Equals(node.LocalEndPoint) ? EndPoints(node.LocalEndPoint, v6) : node.LocalEndPoint.ToString();

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

    /// <summary>
    /// Resolves a host:port (<c>[v6]:port</c> too) to one endpoint: of <paramref name="preferred"/>
    /// when the name has an address of it (the family the node runs first), else the first address.
    /// </summary>
    public static async Task<IPEndPoint> ResolveAsync(HostEndPoint host, AddressFamily preferred, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host.Host, out IPAddress? address))
        {
            return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, host.Port);
        }

        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host.Host, cancellationToken).ConfigureAwait(false);
            IPAddress chosen = addresses.FirstOrDefault(a => a.AddressFamily == preferred) ?? addresses.FirstOrDefault()
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
            throw new CliException($"cannot bind {EndPoints(options.BindEndPoint, options.BindEndPointV6)}: {e.Message}");
        }
    }
}

/// <summary>A failure to report as one line on stderr with a non-zero exit code.</summary>
internal sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
