// A web host that runs a DHT node for as long as it runs and serves its status page: options from
// appsettings.json, environment variables (MainlineDht__Port=...) and the command line
// (--MainlineDht:Port=...); --duration SECONDS stops it after that long. Ctrl-C or SIGTERM stops it
// cleanly too, saving its state. The page is at http://127.0.0.1:5080/ (Urls in appsettings.json;
// --Urls=http://127.0.0.1:0 picks a free port): loopback only unless you change it. /health answers
// with the node's health check (Healthy, Degraded or Unhealthy, as a load balancer or orchestrator asks).
using HostedNode;
using MainlineDht.Hosting;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddMainlineDht(builder.Configuration.GetSection(MainlineDhtOptions.SectionName));
builder.Services.AddHostedService<StatusReporter>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<RecentLookups>();
builder.Services.AddAntiforgery();
builder.Services.AddHealthChecks().AddMainlineDht();

WebApplication app = builder.Build();
app.MapStatusPage();
app.MapHealthChecks("/health");

double? duration = builder.Configuration.GetValue<double?>("duration");
using var stop = duration is { } seconds ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds)) : new CancellationTokenSource();
await app.RunAsync(stop.Token);
