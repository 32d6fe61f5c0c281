using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MainlineDht.Cli;

/// <summary>
/// <c>node</c> on a terminal: a view redrawn every second — the node's state, its routing table as a
/// bar chart of nodes per bucket depth, queries in and out per second, stored peers. In a file or a
/// pipe the command prints its status lines instead (and with <c>--json</c>, JSON lines).
/// </summary>
internal static class NodeLiveView
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    /// <summary>Redraws the view until <paramref name="stop"/> is cancelled.</summary>
    public static async Task RunAsync(IAnsiConsole console, DhtNode node, DateTimeOffset started, CancellationToken stop)
    {
        NodeStatus status = NodeStatus.Take(node, null, started);
        await console.Live(Render(node, status, started)).AutoClear(false).StartAsync(async live =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Refresh, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                status = NodeStatus.Take(node, status, started);
                live.UpdateTarget(Render(node, status, started));
            }
        }).ConfigureAwait(false);
    }

    /// <summary>The view of one look at the node.</summary>
    public static IRenderable Render(DhtNode node, NodeStatus s, DateTimeOffset started)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var figures = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        figures.AddRow("[bold]state[/]", s.Joined ? "[green]joined[/]" : "[yellow]not joined: bootstrapping[/]");
        figures.AddRow("[bold]node[/]", Markup.Escape($"{node.Id} on {node.LocalEndPoint}"));
        figures.AddRow("[bold]up[/]", Markup.Escape((s.Time - started).ToString(@"hh\:mm\:ss", c)));
        figures.AddRow("[bold]routing table[/]", Markup.Escape(string.Create(c, $"{s.Statistics.RoutingTableSize} nodes")));
        figures.AddRow("[bold]queries in[/]", Markup.Escape(string.Create(c, $"{s.ReceivedPerSecond:N1}/s ({s.QueriesReceived:N0} received, {s.Statistics.QueriesAnswered:N0} answered)")));
        figures.AddRow("[bold]queries out[/]", Markup.Escape(string.Create(c, $"{s.SentPerSecond:N1}/s ({s.QueriesSent:N0} sent, {s.Statistics.Timeouts:N0} timed out)")));
        figures.AddRow("[bold]stored peers[/]", Markup.Escape(string.Create(c, $"{s.Statistics.StoredPeers:N0} for {s.Statistics.StoredInfoHashes:N0} infohashes")));

        var chart = new BarChart().Width(60).Label("[bold]routing table by bucket depth[/] (bits shared with our id)");
        for (int depth = 0; depth < s.TableByDepth.Count; depth++)
        {
            chart.AddItem(depth.ToString(c).PadLeft(3), s.TableByDepth[depth], Color.Blue);
        }

        IRenderable table = s.TableByDepth.Count == 0 ? new Markup("[grey]routing table empty[/]") : chart;
        return new Panel(new Rows(figures, new Text(string.Empty), table)).Header("mainline-dht node").Border(BoxBorder.Rounded);
    }
}
