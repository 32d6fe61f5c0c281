using System.Globalization;
using System.Net;
using System.Text;
using MainlineDht;
using Microsoft.AspNetCore.Antiforgery;

namespace HostedNode;

/// <summary>
/// The status page as one HTML document (no script; it reloads itself every 5 seconds): the node's
/// state, its routing table by bucket depth, its counters, and the lookups run from the page.
/// </summary>
internal static class StatusPage
{
    private const string Style = """
        body { font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }
        header { background: #1d3557; color: #fff; padding: 14px 28px; }
        header h1 { margin: 0; font-size: 22px; }
        header p { margin: 2px 0 0; font-family: "DejaVu Sans Mono", monospace; font-size: 13px; opacity: .85; }
        main { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; padding: 18px 28px; }
        section { background: #fff; border-radius: 8px; padding: 12px 18px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
        section.wide { grid-column: 1 / span 2; }
        h2 { font-size: 16px; margin: 0 0 8px; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; }
        th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e7ec; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
        .bar { background: #457b9d; height: 12px; border-radius: 2px; }
        .state { display: inline-block; padding: 3px 12px; border-radius: 12px; font-weight: bold; }
        .state.joined { background: #d8f3dc; color: #1b4332; }
        .state.not-joined { background: #ffe8cc; color: #7f4f24; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 13px; }
        dt { color: #52606d; } dd { margin: 0; font-variant-numeric: tabular-nums; }
        form { margin: 0 0 8px; } input[type=text] { width: 26em; font-family: monospace; }
        """;

    public static string Render(NodeStatusView status, AntiforgeryTokenSet tokens)
    {
        var html = new StringBuilder(8192);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">")
            .Append("<title>mainline-dht node</title><style>").Append(Style).Append("</style></head><body>");
        DhtNode? node = status.Node;
        html.Append("<header><h1>mainline-dht node</h1>");
        html.Append(node is null
            ? "<p>the node is not running</p>"
            : $"<p id=\"node-id\">{E(node.Id.ToString())} on {E(node.LocalEndPoint.ToString())}{(node.LocalEndPointV6 is { } v6 ? " and " + E(v6.ToString()) : string.Empty)}</p>");
        html.Append("</header><main>");
        Health(html, status);
        Counters(html, status);
        Routing(html, status);
        Lookups(html, status, tokens);
        html.Append("</main></body></html>");
        return html.ToString();
    }

    /// <summary>The node's state. Today: whether it is joined (its routing table has a live node).</summary>
    private static void Health(StringBuilder html, NodeStatusView status)
    {
        html.Append("<section id=\"health\"><h2>Health</h2>");
        if (status.Node is null)
        {
            html.Append("<p><span class=\"state not-joined\">not running</span></p>");
        }
        else if (status.Joined)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p><span class=\"state joined\">joined</span> {status.LiveNodes} live nodes in the routing table</p>");
        }
        else
        {
            html.Append("<p><span class=\"state not-joined\">not joined</span> no live node in the routing table: the node keeps bootstrapping</p>");
        }

        if (status.Node?.StateFileStatus is string stateFile)
        {
            html.Append($"<p>{E(stateFile)}</p>");
        }

        html.Append("</section>");
    }

    private static void Counters(StringBuilder html, NodeStatusView status)
    {
        html.Append("<section id=\"counters\"><h2>Counters</h2>");
        if (status.Statistics is DhtNodeStatistics s)
        {
            html.Append("<dl>");
            Item(html, "datagrams received", s.DatagramsReceived.ToString("N0", CultureInfo.InvariantCulture));
            Item(html, "queries received", string.Create(CultureInfo.InvariantCulture, $"{s.QueriesReceived.Values.Sum():N0} ({ByMethod(s.QueriesReceived)})"));
            Item(html, "queries answered", s.QueriesAnswered.ToString("N0", CultureInfo.InvariantCulture));
            Item(html, "queries sent", string.Create(CultureInfo.InvariantCulture, $"{s.QueriesSent.Values.Sum():N0} ({ByMethod(s.QueriesSent)})"));
            Item(html, "responses / timeouts", string.Create(CultureInfo.InvariantCulture, $"{s.ResponsesReceived:N0} / {s.Timeouts:N0}"));
            Item(html, "stored peers", string.Create(CultureInfo.InvariantCulture, $"{s.StoredPeers:N0} for {s.StoredInfoHashes:N0} infohashes"));
            Item(html, "announces accepted", s.AnnouncesAccepted.ToString("N0", CultureInfo.InvariantCulture));
            html.Append("</dl>");
        }

        html.Append("</section>");
    }

    private static void Routing(StringBuilder html, NodeStatusView status)
    {
        int total = status.Buckets.Sum(b => b.Nodes);
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"routing\" class=\"wide\"><h2>Routing table by bucket: {total} nodes</h2>");
        html.Append("<table><tr><th>depth (bits shared with our id)</th><th>nodes</th><th>good</th><th>questionable</th><th>bad</th><th style=\"width:45%\"></th></tr>");
        int widest = Math.Max(1, status.Buckets.Select(b => b.Nodes).DefaultIfEmpty(0).Max());
        foreach (BucketView b in status.Buckets)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td class=\"n\">{b.Depth}</td><td class=\"n\">{b.Nodes}</td><td class=\"n\">{b.Good}</td><td class=\"n\">{b.Questionable}</td><td class=\"n\">{b.Bad}</td><td><div class=\"bar\" style=\"width:{100.0 * b.Nodes / widest:0.#}%\"></div></td></tr>");
        }

        html.Append("</table></section>");
    }

    private static void Lookups(StringBuilder html, NodeStatusView status, AntiforgeryTokenSet tokens)
    {
        html.Append("<section id=\"lookups\" class=\"wide\"><h2>Recent lookups</h2>");
        html.Append("<form method=\"post\" action=\"/lookups\"><label>infohash <input type=\"text\" name=\"infohash\" maxlength=\"40\" pattern=\"[0-9a-fA-F]{40}\" required></label> ")
            .Append($"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken ?? string.Empty)}\">")
            .Append("<button type=\"submit\">find peers</button></form>");
        html.Append("<table><tr><th>started (UTC)</th><th>infohash</th><th>peers</th><th>nodes asked</th><th>replies</th><th>round trips</th><th>ms</th></tr>");
        foreach (RecentLookup l in status.Lookups)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{l.Started:HH:mm:ss}</td><td class=\"mono\">{E(l.InfoHash.ToString())}</td><td class=\"n\">{l.Peers}</td><td class=\"n\">{l.Report.NodesQueried}</td><td class=\"n\">{l.Report.Replies}</td><td class=\"n\">{l.Report.RoundTrips}</td><td class=\"n\">{l.Report.Elapsed.TotalMilliseconds:N0}</td></tr>");
        }

        html.Append("</table></section>");
    }

    private static void Item(StringBuilder html, string name, string value) => html.Append($"<dt>{E(name)}</dt><dd>{E(value)}</dd>");

    private static string ByMethod(IReadOnlyDictionary<string, long> counts) =>
        !counts.Values.Any(c => c > 0) ? "none" : string.Join(", ", counts.Where(c => c.Value > 0).OrderByDescending(c => c.Value).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value:N0}")));

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
