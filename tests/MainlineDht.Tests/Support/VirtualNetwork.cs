using System.Net;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Support;

/// <summary>
/// The tests' factory for nodes on virtual time: one <see cref="VirtualTimeProvider"/>, one
/// <see cref="InMemoryNetwork"/> on it, and nodes started with the tests' defaults (a seeded
/// <see cref="Random"/>, the <see cref="NetworkGuard"/> send policy, no public routers, no per-IP
/// rate limit — every test node has an address of its own). Disposing it stops every node.
/// </summary>
internal sealed class VirtualNetwork : IAsyncDisposable
{
    /// <summary>The port test nodes listen on.</summary>
    public const int Port = 6881;

    private readonly List<DhtNode> _nodes = [];

    /// <summary>Creates an empty network whose losses (if any) are drawn from <paramref name="seed"/>.</summary>
    public VirtualNetwork(int seed = 1)
    {
        Clock = new VirtualTimeProvider();
        Network = new InMemoryNetwork(Clock, new Random(seed));
    }

    /// <summary>The clock every node and delivery runs on; nothing moves until it is advanced.</summary>
    public VirtualTimeProvider Clock { get; }

    /// <summary>The datagram network (set <see cref="InMemoryNetwork.Latency"/> and <see cref="InMemoryNetwork.LossRate"/> here).</summary>
    public InMemoryNetwork Network { get; }

    /// <summary>Every node started, in order.</summary>
    public IReadOnlyList<DhtNode> Nodes => _nodes;

    /// <summary>Starts a node at <paramref name="address"/>:<see cref="Port"/> with the tests' defaults.</summary>
    /// <param name="seed">Seeds the node (<see cref="DhtNodeOptions.RandomSeed"/>: its id, transaction ids, tokens).</param>
    /// <param name="bootstrap">The node it joins through; default none.</param>
    /// <param name="configure">Adjusts the options after the defaults.</param>
    public DhtNode StartNode(IPAddress address, int seed, IPEndPoint? bootstrap = null, Func<DhtNodeOptions, DhtNodeOptions>? configure = null)
    {
        var options = new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(address, Port),
            RandomSeed = seed,
            UsePublicRouters = false,
            BootstrapNodes = bootstrap is null ? [] : [bootstrap.ToString()],
            SendPolicy = NetworkGuard.Policy,
            QueriesPerSecondPerIp = 0,
        };
        DhtNode node = Network.StartNode(configure?.Invoke(options) ?? options);
        _nodes.Add(node);
        return node;
    }

    /// <inheritdoc cref="StartNode(IPAddress, int, IPEndPoint?, Func{DhtNodeOptions, DhtNodeOptions}?)"/>
    public DhtNode StartNode(string address, int seed, IPEndPoint? bootstrap = null, Func<DhtNodeOptions, DhtNodeOptions>? configure = null) =>
        StartNode(IPAddress.Parse(address), seed, bootstrap, configure);

    /// <summary>Runs the clock until <paramref name="task"/> completes (default limit 2 minutes of virtual time) and returns its result.</summary>
    public T Run<T>(Task<T> task, TimeSpan? limit = null)
    {
        Run((Task)task, limit);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs the clock until <paramref name="task"/> completes (default limit 2 minutes of virtual time); fails the test if it does not.</summary>
    public void Run(Task task, TimeSpan? limit = null)
    {
        bool done = Clock.RunUntil(() => task.IsCompleted, limit ?? TimeSpan.FromMinutes(2));
        Assert.That(done, Is.True, $"did not complete on virtual time: {task.Status} at {Clock.Elapsed}, {Clock.PendingEvents} events pending, {_nodes.Count} nodes, {task.Exception}");
        task.GetAwaiter().GetResult();
    }

    /// <summary>Stops every node.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }
}
