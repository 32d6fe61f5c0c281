using MainlineDht;
using MainlineDht.Hosting;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace HostedNode;

/// <summary>
/// The status page's endpoints: <c>GET /</c> (the page), <c>GET /status.json</c> (the same figures for
/// scripts) and <c>POST /lookups</c> (runs a <c>get_peers</c> lookup from the page's form and lists it
/// under recent lookups; the form carries an antiforgery token).
/// </summary>
internal static class StatusEndpoints
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(30);

    public static WebApplication MapStatusPage(this WebApplication app)
    {
        app.UseAntiforgery();

        app.MapGet("/", (HttpContext context, IDhtNodeAccessor dht, RecentLookups lookups, IAntiforgery antiforgery) =>
        {
            AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(context);
            NodeStatusView status = NodeStatusView.Of(dht.Node, lookups);
            return Results.Content(StatusPage.Render(status, tokens), "text/html; charset=utf-8");
        });

        app.MapGet("/status.json", (IDhtNodeAccessor dht, RecentLookups lookups) => Results.Json(NodeStatusView.Of(dht.Node, lookups).ToJson()));

        app.MapPost("/lookups", async ([FromForm] string infohash, IDhtNodeAccessor dht, RecentLookups lookups, TimeProvider time, CancellationToken cancellationToken) =>
        {
            if (!NodeId.TryParse(infohash.Trim(), out NodeId target))
            {
                return Results.BadRequest("infohash: 40 hex digits");
            }

            if (dht.Node is not DhtNode node)
            {
                return Results.Problem("the node is not running", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(LookupTimeout);
            DateTimeOffset started = time.GetUtcNow();
            PeerLookupResult result = await node.LookupPeersAsync(target, timeout.Token);
            lookups.Add(new RecentLookup(started, target, result.Peers.Count, result.Report));
            return Results.Redirect("/#lookups");
        });

        return app;
    }
}
