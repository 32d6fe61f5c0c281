using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation;

/// <summary>The crawl benchmark's settings (<c>mainline-dht simulate --crawl</c>). Every property has a documented default.</summary>
public sealed record CrawlSimulationOptions
{
    /// <summary>Nodes in the network; default 10,000.</summary>
    public int Nodes { get; init; } = 10_000;

    /// <summary>Infohashes announced, each from a random answering node; default 20,000.</summary>
    public int InfoHashes { get; init; } = 20_000;

    /// <summary>How long the crawl may run, in virtual time (it stops earlier once it found every infohash); default 20 minutes.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>The crawl's query rate (<see cref="CrawlOptions.QueriesPerSecond"/>); default 20.</summary>
    public double QueriesPerSecond { get; init; } = 20;

    /// <summary>The seed of every random choice; default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The shortest round-trip time of a link; default 50 ms.</summary>
    public TimeSpan LatencyMin { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest round-trip time of a link; default 300 ms.</summary>
    public TimeSpan LatencyMax { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The probability that a datagram is lost; default 0.</summary>
    public double Loss { get; init; }

    /// <summary>The fraction of nodes that never answer; default 0.</summary>
    public double Dead { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Nodes is < 2 or > SimulatedNetwork.MaxNodes)
        {
            throw new ArgumentException($"Nodes must be from 2 to {SimulatedNetwork.MaxNodes}.", nameof(Nodes));
        }

        if (InfoHashes < 1)
        {
            throw new ArgumentException("InfoHashes must be at least 1.", nameof(InfoHashes));
        }

        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException("Duration must be positive.", nameof(Duration));
        }

        new CrawlOptions { QueriesPerSecond = QueriesPerSecond }.Validate();
        if (LatencyMin < TimeSpan.Zero || LatencyMax < LatencyMin)
        {
            throw new ArgumentException("The latency must satisfy 0 <= min <= max.", nameof(LatencyMin));
        }

        if (!(Loss is >= 0 and < 1) || !(Dead is >= 0 and < 1))
        {
            throw new ArgumentException("Loss and Dead must be from 0 to below 1.", nameof(Loss));
        }
    }
}

/// <summary>What the crawl benchmark measured.</summary>
public sealed record CrawlSimulationReport
{
    /// <summary>The settings of the run.</summary>
    public required CrawlSimulationOptions Options { get; init; }

    /// <summary>Infohashes the crawl found of those announced.</summary>
    public int Found { get; init; }

    /// <summary>The share of the announced infohashes found.</summary>
    public double Coverage => Options.InfoHashes == 0 ? 0 : (double)Found / Options.InfoHashes;

    /// <summary>New infohashes in each minute of the crawl (virtual time), the first minute first.</summary>
    public IReadOnlyList<int> NewPerMinute { get; init; } = [];

    /// <summary>Virtual time from the crawl's start until it had 50%, 90% and 99% of the infohashes (null: never).</summary>
    public TimeSpan? To50 { get; init; }

    /// <inheritdoc cref="To50"/>
    public TimeSpan? To90 { get; init; }

    /// <inheritdoc cref="To50"/>
    public TimeSpan? To99 { get; init; }

    /// <summary>The crawl's own figures at its end.</summary>
    public required CrawlStatistics Crawl { get; init; }

    /// <summary><c>sample_infohashes</c> queries per infohash found.</summary>
    public double QueriesPerInfoHash => Found == 0 ? 0 : (double)Crawl.QueriesSent / Found;

    /// <summary>How many nodes stored each announce, on average.</summary>
    public double AnnouncedToMean { get; init; }

    /// <summary>Building the network.</summary>
    public required PopulateReport Bootstrap { get; init; }

    /// <summary>Wall-clock time of the whole run.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>The report as a JSON document.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("nodes", Options.Nodes);
            json.WriteNumber("infohashes", Options.InfoHashes);
            json.WriteNumber("rate", Options.QueriesPerSecond);
            json.WriteNumber("dead", Options.Dead);
            json.WriteNumber("loss", Options.Loss);
            json.WriteNumber("seed", Options.Seed);
            json.WriteNumber("found", Found);
            json.WriteNumber("coverage", Math.Round(Coverage, 6));
            json.WriteStartArray("new_per_minute");
            foreach (int count in NewPerMinute)
            {
                json.WriteNumberValue(count);
            }

            json.WriteEndArray();
            WriteSeconds(json, "to_50_s", To50);
            WriteSeconds(json, "to_90_s", To90);
            WriteSeconds(json, "to_99_s", To99);
            json.WriteNumber("queries_sent", Crawl.QueriesSent);
            json.WriteNumber("queries_per_infohash", Math.Round(QueriesPerInfoHash, 3));
            json.WriteNumber("nodes_queried", Crawl.NodesQueried);
            json.WriteNumber("nodes_with_samples", Crawl.NodesWithSamples);
            json.WriteNumber("samples", Crawl.Samples);
            json.WriteNumber("timeouts", Crawl.Timeouts);
            json.WriteNumber("crawl_virtual_s", Math.Round(Crawl.Elapsed.TotalSeconds, 1));
            json.WriteNumber("announced_to_mean", Math.Round(AnnouncedToMean, 2));
            json.WriteNumber("wall_seconds", Math.Round(WallTime.TotalSeconds, 1));
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSeconds(Utf8JsonWriter json, string name, TimeSpan? time)
    {
        if (time is TimeSpan t)
        {
            json.WriteNumber(name, Math.Round(t.TotalSeconds, 1));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>
/// The crawl benchmark: builds a <see cref="SimulatedNetwork"/>, announces infohashes from random
/// answering nodes, then lets one new node crawl it (<see cref="DhtNode.CrawlAsync"/>) and counts
/// what it finds, minute by minute of virtual time.
/// </summary>
public static class CrawlSimulationRunner
{
    private static readonly TimeSpan AnnounceSpacing = TimeSpan.FromMilliseconds(10);

    /// <summary>Runs the benchmark on the calling thread.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static CrawlSimulationReport Run(CrawlSimulationOptions? options = null, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new CrawlSimulationOptions();
        options.Validate();
        var wall = Stopwatch.StartNew();
        var network = new SimulatedNetwork(new SimulatedNetworkOptions
        {
            Seed = options.Seed,
            Latency = LatencyModel.UniformPerLink(options.LatencyMin / 2, options.LatencyMax / 2),
            LossRate = options.Loss,
        });
        Random random = network.Random;
        Say(progress, wall, $"building a network of {options.Nodes:N0} nodes");
        PopulateReport populate = network.Populate(options.Nodes, unresponsive: options.Dead, cancellationToken: cancellationToken);

        List<SimulatedNode> answering = [.. network.Nodes.Where(n => n.IsOnline && n.IsResponsive)];
        var announced = new HashSet<NodeId>();
        long storedOn = 0;
        int done = 0;
        Say(progress, wall, $"announcing {options.InfoHashes:N0} infohashes");
        for (int i = 0; i < options.InfoHashes; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(random);
            announced.Add(infoHash);
            _ = AnnounceAsync(answering[random.Next(answering.Count)], infoHash, 10_000 + (i % 50_000), AnnounceSpacing * i);
        }

        if (!network.RunUntil(() => done == options.InfoHashes || cancellationToken.IsCancellationRequested, TimeSpan.FromHours(2)))
        {
            throw new TimeoutException("The announces did not finish within 2 hours of virtual time.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        SimulatedNode crawler = network.AddNode(PickContacts(answering, random));
        network.Run(crawler.Node.JoinAsync());

        Say(progress, wall, $"crawling at {options.QueriesPerSecond} queries/s for up to {options.Duration.TotalMinutes:N0} minutes of virtual time");
        TimeSpan start = network.Elapsed;
        var times = new List<TimeSpan>(announced.Count);
        using var stop = new CancellationTokenSource();
        DhtCrawl crawl = crawler.Node.CrawlAsync(new CrawlOptions { QueriesPerSecond = options.QueriesPerSecond }, stop.Token);
        Task consumer = ConsumeAsync();
        network.RunUntil(() => times.Count == announced.Count || cancellationToken.IsCancellationRequested, options.Duration);
        stop.Cancel();
        network.Run(consumer, TimeSpan.FromMinutes(1));
        cancellationToken.ThrowIfCancellationRequested();

        int minutes = (int)Math.Ceiling((network.Elapsed - start).TotalMinutes);
        int[] perMinute = new int[Math.Max(1, minutes)];
        foreach (TimeSpan at in times)
        {
            perMinute[Math.Min(perMinute.Length - 1, (int)at.TotalMinutes)]++;
        }

        var report = new CrawlSimulationReport
        {
            Options = options,
            Found = times.Count,
            NewPerMinute = perMinute,
            To50 = Quantile(times, announced.Count, 0.5),
            To90 = Quantile(times, announced.Count, 0.9),
            To99 = Quantile(times, announced.Count, 0.99),
            Crawl = crawl.Statistics,
            AnnouncedToMean = (double)storedOn / options.InfoHashes,
            Bootstrap = populate,
            WallTime = wall.Elapsed,
        };
        Say(progress, wall, "done");
        return report;

        async Task AnnounceAsync(SimulatedNode from, NodeId infoHash, int port, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, network.TimeProvider).ConfigureAwait(false);
                LookupReport result = await from.Node.AnnounceAsync(infoHash, port).ConfigureAwait(false);
                storedOn += result.AnnouncedTo.Count;
            }
            finally
            {
                done++;
            }
        }

        // On the clock's thread, as every node's work: the crawl runs while its consumer takes what it finds.
        async Task ConsumeAsync()
        {
            await foreach (CrawledInfoHash found in crawl.ConfigureAwait(false))
            {
                if (announced.Contains(found.InfoHash))
                {
                    times.Add(network.Elapsed - start);
                }
            }
        }
    }

    private static TimeSpan? Quantile(List<TimeSpan> times, int total, double share)
    {
        int needed = (int)Math.Ceiling(share * total);
        return needed <= times.Count && needed > 0 ? times[needed - 1] : null;
    }

    private static List<SimulatedNode> PickContacts(List<SimulatedNode> pool, Random random) =>
        [.. Enumerable.Range(0, 3).Select(_ => pool[random.Next(pool.Count)]).Distinct()];

    private static void Say(Action<string>? progress, Stopwatch wall, string message) =>
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"[{wall.Elapsed.TotalSeconds,7:0.0} s] {message}"));
}
