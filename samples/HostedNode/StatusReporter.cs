using MainlineDht;
using MainlineDht.Hosting;

namespace HostedNode;

/// <summary>Logs what the node is doing every <c>StatusInterval</c> (default 30 s) while it runs.</summary>
internal sealed partial class StatusReporter(IDhtNodeAccessor dht, IConfiguration configuration, ILogger<StatusReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = configuration.GetValue("StatusInterval", TimeSpan.FromSeconds(30));
        try
        {
            DhtNode node = await dht.GetNodeAsync(stoppingToken);
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                DhtNodeStatistics s = node.GetStatistics();
                LogStatus(logger, s.RoutingTableSize, s.QueriesReceived.Values.Sum(), s.QueriesSent.Values.Sum(), s.StoredInfoHashes, s.StoredPeers);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "{Nodes} nodes in the routing table; {Received} queries received, {Sent} sent; {InfoHashes} infohashes with {Peers} peers stored")]
    private static partial void LogStatus(ILogger logger, int nodes, long received, long sent, int infoHashes, int peers);
}
