using System.Globalization;
using MainlineDht.Lookups;
using MainlineDht.Rpc;
using Spectre.Console;

namespace MainlineDht.Cli;

/// <summary>
/// <c>--trace</c> of <c>get-peers</c> and <c>find-node</c>: the path a lookup took, round by round —
/// each node asked, its distance to the target (bits its id shares with it), its round trip and what it
/// returned — as text, or as JSON for <c>--json</c>.
/// </summary>
internal static class TraceView
{
    /// <summary>Writes the trace of <paramref name="report"/>: a summary line, then one line per query, grouped by round.</summary>
    public static void Write(IAnsiConsole console, LookupReport report)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        console.MarkupLine(Markup.Escape(string.Create(c,
            $"lookup of {report.Target}: {report.NodesQueried} nodes asked, {report.Replies} replies, {report.Errors} errors, {report.Timeouts} timeouts, {report.RoundTrips} round trips, {report.Elapsed.TotalMilliseconds:F0} ms")));
        console.MarkupLine(Markup.Escape(string.Create(c, $"{"round",5}  {"sent",8}  {"node id",-40}  {"address",-21}  {"bits",4}  {"rtt",8}  reply")));
        int round = 0;
        foreach (LookupTraceEntry entry in report.Trace.OrderBy(e => e.Round))
        {
            string roundText = entry.Round == round ? string.Empty : entry.Round.ToString(c);
            round = entry.Round;
            string line = string.Create(c,
                $"{roundText,5}  {"+" + Milliseconds(entry.SentAfter),8}  {entry.Id?.ToString() ?? "(id unknown)",-40}  {entry.EndPoint,-21}  {entry.SharedPrefixBits?.ToString(c) ?? "-",4}  {(entry.RoundTripTime is TimeSpan rtt ? Milliseconds(rtt) : "-"),8}  ");
            console.MarkupLine(Markup.Escape(line) + Reply(entry));
        }
    }

    /// <summary>The trace as JSON: one object per query, in the order sent.</summary>
    public static object[] Json(LookupReport report) => [.. report.Trace.Select(e => new Dictionary<string, object?>
    {
        ["round"] = e.Round,
        ["id"] = e.Id?.ToString(),
        ["endpoint"] = e.EndPoint.ToString(),
        ["shared_prefix_bits"] = e.SharedPrefixBits,
        ["sent_ms"] = Math.Round(e.SentAfter.TotalMilliseconds, 1),
        ["status"] = e.Status is RpcStatus status ? Status(status) : "no_answer",
        ["rtt_ms"] = e.RoundTripTime is TimeSpan rtt ? Math.Round(rtt.TotalMilliseconds, 1) : null,
        ["nodes"] = e.NodesReturned,
        ["values"] = e.ValuesReturned,
        ["error_code"] = e.ErrorCode,
        ["error_message"] = e.ErrorMessage,
    })];

    private static string Reply(LookupTraceEntry e) => e.Status switch
    {
        RpcStatus.Response => e.ValuesReturned > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{e.NodesReturned} nodes, [green]{e.ValuesReturned} values[/]")
            : string.Create(CultureInfo.InvariantCulture, $"{e.NodesReturned} nodes, 0 values"),
        RpcStatus.Error => $"[red]{Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"error {e.ErrorCode} {e.ErrorMessage}"))}[/]",
        RpcStatus status => $"[yellow]{Status(status)}[/]",
        null => "[yellow]no answer before the lookup ended[/]",
    };

    private static string Status(RpcStatus status) => status switch
    {
        RpcStatus.NotSent => "not_sent",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms";
}
