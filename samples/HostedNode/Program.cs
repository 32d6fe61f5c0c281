// A worker that runs a DHT node for as long as it runs: options from appsettings.json, environment
// variables (MainlineDht__Port=...) and the command line (--MainlineDht:Port=...); --duration SECONDS
// stops it after that long. Ctrl-C or SIGTERM stops it cleanly too, saving its state.
using HostedNode;
using MainlineDht.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddMainlineDht(builder.Configuration.GetSection(MainlineDhtOptions.SectionName));
builder.Services.AddHostedService<StatusReporter>();

using IHost host = builder.Build();
double? duration = builder.Configuration.GetValue<double?>("duration");
using var stop = duration is { } seconds ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds)) : new CancellationTokenSource();
await host.RunAsync(stop.Token);
