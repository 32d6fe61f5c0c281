using System.Collections.Concurrent;
using System.Net;
using MainlineDht.Hosting;
using MainlineDht.Protocol;
using MainlineDht.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MainlineDht.Hosting.Tests.Support;

/// <summary>
/// Hosts and nodes for the tests, all on loopback: bound to 127.x, sending only to loopback,
/// never using the public routers.
/// </summary>
internal static class TestHosts
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Destinations outside loopback that a plain test node was refused; <see cref="LoopbackTest"/> fails on any.</summary>
    public static readonly ConcurrentQueue<IPEndPoint> Refused = new();

    /// <summary>Options of a hosted node on <paramref name="bindAddress"/>:0 that joins through <paramref name="bootstrap"/> only.</summary>
    public static Action<MainlineDhtOptions> Loopback(string bindAddress, params string[] bootstrap) => o =>
    {
        o.BindAddress = bindAddress;
        o.Port = 0;
        o.UsePublicRouters = false;
        o.LoopbackOnly = true;
        o.JoinRetryDelay = TimeSpan.FromMilliseconds(200);
        o.MaxJoinRetryDelay = TimeSpan.FromSeconds(1);
        foreach (string node in bootstrap)
        {
            o.BootstrapNodes.Add(node);
        }
    };

    /// <summary>A host with a DHT node (not started); its log records go to <paramref name="logs"/> when given.</summary>
    public static IHost Build(Action<MainlineDhtOptions> configure, LogCollector? logs = null, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddMainlineDht(configure);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>A plain node on <paramref name="bindAddress"/>:0, started, sending only to loopback.</summary>
    public static Task<DhtNode> StartNodeAsync(string bindAddress, params string[] bootstrap) =>
        DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse(bindAddress), 0),
            BootstrapNodes = bootstrap,
            UsePublicRouters = false,
            SendPolicy = SendPolicy.LoopbackOnly(Refused.Enqueue),
        });

    public static string HostPort(this DhtNode node) => node.LocalEndPoint.ToString();

    /// <summary>A node on 127.0.0.1 that stores a peer 127.0.0.2:<paramref name="peerPort"/> for <paramref name="infoHash"/>, announced by a second node.</summary>
    public static async Task<(DhtNode Holder, DhtNode Announcer)> StartNodeWithPeerAsync(NodeId infoHash, int peerPort)
    {
        DhtNode holder = await StartNodeAsync("127.0.0.1");
        DhtNode announcer = await StartNodeAsync("127.0.0.2", holder.HostPort());
        await announcer.JoinAsync();
        Lookups.LookupReport report = await announcer.AnnounceAsync(infoHash, peerPort);
        Assert.That(report.AnnouncedTo, Is.Not.Empty, "the announce reached no node");
        Assert.That(holder.GetStatistics().StoredPeers, Is.EqualTo(1));
        return (holder, announcer);
    }
}

/// <summary>Base of tests that run nodes: fails a test whose plain nodes tried to send outside loopback.</summary>
public abstract class LoopbackTest
{
    [SetUp]
    public void ClearRefused() => TestHosts.Refused.Clear();

    [TearDown]
    public void CheckRefused() =>
        Assert.That(TestHosts.Refused, Is.Empty, "a test node tried to send outside 127.0.0.0/8 and ::1");
}

/// <summary>Keeps every log record written through it, for tests that check event ids and messages.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<LogRecord> _records = new();

    public IReadOnlyList<LogRecord> Records => [.. _records];

    public IEnumerable<int> EventIds(string category) => Records.Where(r => r.Category == category).Select(r => r.EventId.Id);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _records);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogRecord> records) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            records.Enqueue(new LogRecord(category, logLevel, eventId, formatter(state, exception), exception));
    }
}

internal sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);
