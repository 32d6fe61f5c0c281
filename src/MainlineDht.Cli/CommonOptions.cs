using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Cli;

/// <summary>The options every command takes: where to bind, whom to join, how long to wait, how to print.</summary>
internal sealed class CommonOptions
{
    public Option<string> Bind { get; } = new("--bind") { Description = "The local IP address to bind.", DefaultValueFactory = _ => "0.0.0.0" };

    public Option<int> Port { get; } = new("--port") { Description = "The local UDP port (0 picks a free one).", DefaultValueFactory = _ => 6881 };

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
