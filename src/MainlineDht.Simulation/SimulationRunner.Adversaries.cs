using System.Globalization;
using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation;

// The hostile network: Sybils placed next to the infohashes, run from a few /24s, and poisoners that
// answer with junk. They join once the honest network is built and the infohashes chosen.
public static partial class SimulationRunner
{
    /// <summary>How many bits a Sybil's id shares with the infohash it is placed next to: far closer than any honest node.</summary>
    private const int SybilPrefixBits = 32;

    /// <summary>The first /24 of the Sybils' ranges: 201.0.0.0/24, 201.0.1.0/24, …</summary>
    private static readonly byte[] SybilRange = [201, 0];

    /// <summary>
    /// Adds the adversaries and joins them (each through 3 random honest nodes, as any newcomer).
    /// Sybils: ids sharing 32 bits with an infohash, the infohashes taken in turn; addresses in as few
    /// /24s as hold them (about 250 each, at least 2), each infohash's Sybils spread over all of them
    /// (the worst case for IP diversity). Poisoners: public addresses and ids as any node's.
    /// </summary>
    private static Adversaries AddAdversaries(SimulatedNetwork network, Swarm[] swarms, int sybilCount, int poisonCount, Random random, Action<string> progress, CancellationToken cancellationToken)
    {
        var honest = network.Nodes.Where(n => n.IsOnline && n.IsResponsive).ToList();
        var sybils = new List<SimulatedNode>(sybilCount);
        var adversaries = new Adversaries();
        int ranges = Math.Max(2, (sybilCount + 249) / 250); // 250 a /24, a little room for the spread below
        var hosts = new int[ranges];
        for (int i = 0; i < sybilCount; i++)
        {
            // The j-th Sybil of each infohash goes to the range after its (j-1)-th one's: an infohash's
            // Sybils are spread over every range, and each range fills about evenly.
            Swarm swarm = swarms[i % swarms.Length];
            int range = ((i % swarms.Length) + (i / swarms.Length)) % ranges;
            while (hosts[range] >= 254)
            {
                range = (range + 1) % ranges;
            }

            var address = new IPAddress([SybilRange[0], SybilRange[1], (byte)range, (byte)++hosts[range]]);
            NodeId id = NodeId.CreateRandomInRange(swarm.InfoHash, SybilPrefixBits, random);
            SimulatedNode node = network.AddNode(Contacts(honest, random), o => o with { NodeId = id }, address);
            sybils.Add(node);
            adversaries.Add(node, sybil: true);
            _ = new Adversary(network, node, AdversaryKind.Sybil, sybils, new Random(random.Next()));
        }

        for (int i = 0; i < poisonCount; i++)
        {
            SimulatedNode node = network.AddNode(Contacts(honest, random));
            adversaries.Add(node, sybil: false);
            _ = new Adversary(network, node, AdversaryKind.Poison, sybils, new Random(random.Next()));
        }

        progress(string.Create(CultureInfo.InvariantCulture, $"{sybilCount:N0} Sybils in {ranges} /24s and {poisonCount:N0} poisoners join"));
        int done = 0;
        var joins = new List<Task>(adversaries.Nodes.Count);
        foreach (SimulatedNode node in adversaries.Nodes)
        {
            joins.Add(JoinAsync(node, TimeSpan.FromMilliseconds(random.Next(1000))));
        }

        RunPhase(network, () => done == joins.Count, "adversaries' joins", cancellationToken);
        Task.WhenAll(joins).GetAwaiter().GetResult();
        network.RunFor(TimeSpan.FromSeconds(10)); // verification pings and late replies settle
        return adversaries;

        async Task JoinAsync(SimulatedNode node, TimeSpan delay)
        {
            try
            {
                await Task.Delay(delay, network.TimeProvider).ConfigureAwait(false);
                await node.Node.JoinAsync().ConfigureAwait(false);
            }
            finally
            {
                done++;
            }
        }
    }

    private static List<SimulatedNode> Contacts(List<SimulatedNode> honest, Random random) =>
        [.. Enumerable.Range(0, 3).Select(_ => honest[random.Next(honest.Count)]).Distinct()];

    /// <summary>The adversaries of a run, by node and by endpoint.</summary>
    private sealed class Adversaries
    {
        public static readonly Adversaries None = new();

        private readonly HashSet<SimulatedNode> _nodes = [];
        private readonly HashSet<IPEndPoint> _all = [];
        private readonly HashSet<IPEndPoint> _sybils = [];

        public IReadOnlyCollection<SimulatedNode> Nodes => _nodes;

        public void Add(SimulatedNode node, bool sybil)
        {
            _nodes.Add(node);
            _all.Add(node.EndPoint);
            if (sybil)
            {
                _sybils.Add(node.EndPoint);
            }
        }

        public bool Contains(SimulatedNode node) => _nodes.Contains(node);

        /// <summary>Whether an adversary holds <paramref name="endPoint"/>.</summary>
        public bool Holds(IPEndPoint endPoint) => _all.Contains(endPoint);

        public bool IsSybil(IPEndPoint endPoint) => _sybils.Contains(endPoint);
    }
}
