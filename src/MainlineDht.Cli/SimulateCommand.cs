using System.CommandLine;
using System.Globalization;
using MainlineDht.Simulation;

namespace MainlineDht.Cli;

/// <summary><c>mainline-dht simulate</c>: the lookup benchmark on a simulated network (<see cref="SimulationRunner"/>).</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulationRunnerOptions();
        var nodes = new Option<int>("--nodes") { Description = "Nodes in the simulated network.", DefaultValueFactory = _ => defaults.Nodes };
        var lookups = new Option<int>("--lookups") { Description = "get_peers lookups to measure.", DefaultValueFactory = _ => defaults.Lookups };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice: the same seed gives the same figures.", DefaultValueFactory = _ => defaults.Seed };
        var latency = new Option<string>("--latency") { Description = "Round-trip time of a link in ms, MIN-MAX (uniform, fixed per pair of nodes; half each way).", DefaultValueFactory = _ => "50-300" };
        var loss = new Option<double>("--loss") { Description = "Fraction of datagrams lost (0 to 1)." };
        var dead = new Option<double>("--dead") { Description = "Fraction of nodes that never answer (firewalled: every query to them is dropped)." };
        var churn = new Option<double>("--churn") { Description = "Fraction of nodes that leave at once after the announces (announcers then announce again)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout and nothing else." };
        var command = new Command("simulate", "Build a simulated DHT on virtual time, announce infohashes and measure get_peers lookups.");
        command.Options.Add(nodes);
        command.Options.Add(lookups);
        command.Options.Add(seed);
        command.Options.Add(latency);
        command.Options.Add(loss);
        command.Options.Add(dead);
        command.Options.Add(churn);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            (TimeSpan min, TimeSpan max) = ParseLatency(parse.GetValue(latency)!);
            var options = new SimulationRunnerOptions
            {
                Nodes = parse.GetValue(nodes),
                Lookups = parse.GetValue(lookups),
                Seed = parse.GetValue(seed),
                LatencyMin = min,
                LatencyMax = max,
                Loss = parse.GetValue(loss),
                Dead = parse.GetValue(dead),
                Churn = parse.GetValue(churn),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            // The run drives its virtual clock on one thread from start to end; progress goes to stderr.
            SimulationReport report = await Task.Run(() => SimulationRunner.Run(options, line => Console.Error.WriteLine(line), cancellationToken), cancellationToken).ConfigureAwait(false);
            Console.Write(parse.GetValue(json) ? report.ToJson() + Environment.NewLine : report.ToText());
            return 0;
        }));
        return command;
    }

    private static (TimeSpan Min, TimeSpan Max) ParseLatency(string text)
    {
        string[] parts = text.Split('-', 2);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double min)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double max)
            && min >= 0 && max >= min)
        {
            return (TimeSpan.FromMilliseconds(min), TimeSpan.FromMilliseconds(max));
        }

        throw new CliException($"--latency: '{text}' is not MIN-MAX in milliseconds (for example 50-300).");
    }
}
