using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Cli;

/// <summary>The options every command takes: where to bind, whom to join, how long to wait, how to print.</summary>
internal sealed class CommonOptions
{
    public CommonOptions(string defaultBind = "0.0.0.0", int defaultPort = 6881)
    {
        Bind = new("--bind") { Description = "The local IP address to bind.", DefaultValueFactory = _ => defaultBind };
        Port = new("--port") { Description = "The local UDP port (0 picks a free one).", DefaultValueFactory = _ => defaultPort };
    }

    public Option<string> Bind { get; }

    public Option<int> Port { get; }

    public Option<string[]> Bootstrap { get; } = new("--bootstrap") { Description = "A node to join through, host:port (repeatable).", AllowMultipleArgumentsPerToken = false };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds to wait for the operation.", DefaultValueFactory = _ => 30 };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document on stdout and nothing else." };

    public void AddTo(Command command)
    {
        command.Options.Add(Bind);
        command.Options.Add(Port);
        command.Options.Add(Bootstrap);
        command.Options.Add(Timeout);
        command.Options.Add(Json);
    }

    /// <summary>Builds node options from the parsed command line; a bad value is a <see cref="CliException"/>.</summary>
    public DhtNodeOptions ToNodeOptions(ParseResult parse, string? stateFile = null)
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
    public async Task<DhtNode> StartJoinedNodeAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        DhtNodeOptions options = ToNodeOptions(parse);
        DhtNode node = await StartNodeAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            Lookups.LookupReport join = await node.JoinAsync(cancellationToken).ConfigureAwait(false);
            if (join.Replies == 0)
            {
                string tried = options.BootstrapNodes.Count > 0 ? string.Join(", ", options.BootstrapNodes) : "the public routers";
                throw new CliException($"could not join the DHT: no node answered ({tried}).");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
