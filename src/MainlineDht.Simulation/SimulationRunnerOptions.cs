namespace MainlineDht.Simulation;

/// <summary>The lookup benchmark's settings (<c>mainline-dht simulate</c>). Every property has a documented default.</summary>
public sealed record SimulationRunnerOptions
{
    /// <summary>Nodes in the network; default 10,000.</summary>
    public int Nodes { get; init; } = 10_000;

    /// <summary><c>get_peers</c> lookups to measure; default 500.</summary>
    public int Lookups { get; init; } = 500;

    /// <summary>Infohashes announced (lookups go round them); default one per 5 lookups, at least 1, at most 200.</summary>
    public int? InfoHashes { get; init; }

    /// <summary>The seed of every random choice; default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The shortest round-trip time of a link (a datagram takes half of it each way); default 50 ms.</summary>
    public TimeSpan LatencyMin { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest round-trip time of a link; default 300 ms. Each pair of nodes gets a fixed value, uniform between the two.</summary>
    public TimeSpan LatencyMax { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The probability that a datagram is lost; default 0.</summary>
    public double Loss { get; init; }

    /// <summary>
    /// The fraction of nodes that never answer (firewalled from the start: they join and look up,
    /// but every query sent to them is dropped); default 0.
    /// </summary>
    public double Dead { get; init; }

    /// <summary>
    /// Whether the nodes join directly (<see cref="SimulatedNetwork.PopulateDirect"/>: tables filled
    /// from the known population, no join traffic) instead of by lookups (<see cref="SimulatedNetwork.Populate"/>);
    /// default false. For networks of 100,000 nodes and more, where joining by lookups dominates the run.
    /// </summary>
    public bool DirectJoin { get; init; }

    /// <summary>
    /// The fraction of nodes that leave at once after the announces; the announcers then announce
    /// again (a leaving announcer's swarm is announced by a remaining node instead); default 0.
    /// </summary>
    public double Churn { get; init; }

    /// <summary>
    /// The fraction of nodes that are Sybils: run from a few /24s (254 to a /24, at least 2), with
    /// ids placed next to the infohashes looked up (32 bits in common), answering every lookup query
    /// with each other and accepting announces they do not keep; default 0. They join after the
    /// honest nodes. Implies <see cref="PublicAddresses"/>.
    /// </summary>
    public double Sybil { get; init; }

    /// <summary>
    /// The fraction of nodes that poison lookups: they answer every lookup query with nodes next to
    /// the target at junk or unreachable addresses; default 0. Implies <see cref="PublicAddresses"/>.
    /// </summary>
    public double Poison { get; init; }

    /// <summary>
    /// Public-looking virtual addresses, one /24 per node (in memory only: nothing is sent anywhere),
    /// so that IP diversity and BEP 42 apply as on the internet; default false (loopback addresses,
    /// which the diversity rules exempt).
    /// </summary>
    public bool PublicAddresses { get; init; }

    /// <summary>How the measured <c>get_peers</c> lookups run (alpha, soft timeout); default the library's defaults.</summary>
    public MainlineDht.Lookups.LookupOptions? Lookup { get; init; }

    /// <summary>Adjusts each node's options (for example the query timeout); default none.</summary>
    public Func<DhtNodeOptions, DhtNodeOptions>? ConfigureNode { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Nodes is < 2 or > SimulatedNetwork.MaxNodes)
        {
            throw new ArgumentException($"Nodes must be from 2 to {SimulatedNetwork.MaxNodes}.", nameof(Nodes));
        }

        if (Lookups < 1)
        {
            throw new ArgumentException("Lookups must be at least 1.", nameof(Lookups));
        }

        if (InfoHashes is < 1)
        {
            throw new ArgumentException("InfoHashes must be at least 1.", nameof(InfoHashes));
        }

        if (LatencyMin < TimeSpan.Zero || LatencyMax < LatencyMin)
        {
            throw new ArgumentException("The latency must satisfy 0 <= min <= max.", nameof(LatencyMin));
        }

        if (!(Loss is >= 0 and < 1))
        {
            throw new ArgumentException("Loss must be from 0 to below 1.", nameof(Loss));
        }

        if (!(Dead is >= 0 and < 1))
        {
            throw new ArgumentException("Dead must be from 0 to below 1.", nameof(Dead));
        }

        if (!(Churn is >= 0 and < 1) || Dead + Churn >= 1)
        {
            throw new ArgumentException("Churn must be from 0 to below 1, and Dead + Churn below 1.", nameof(Churn));
        }

        if (!(Sybil is >= 0 and < 0.5))
        {
            throw new ArgumentException("Sybil must be from 0 to below 0.5.", nameof(Sybil));
        }

        if (!(Poison is >= 0 and < 0.5) || Sybil + Poison >= 0.5)
        {
            throw new ArgumentException("Poison must be from 0 to below 0.5, and Sybil + Poison below 0.5.", nameof(Poison));
        }
    }

    /// <summary>Whether nodes get public-looking addresses: asked for, or implied by adversaries.</summary>
    internal bool UsesPublicAddresses => PublicAddresses || Sybil > 0 || Poison > 0;

    /// <summary>How many of <see cref="Nodes"/> are Sybils and poisoners.</summary>
    internal (int Sybils, int Poisoners) AdversaryCounts => ((int)Math.Round(Sybil * Nodes), (int)Math.Round(Poison * Nodes));

    internal int InfoHashCount => InfoHashes ?? Math.Clamp(Lookups / 5, 1, 200);
}
