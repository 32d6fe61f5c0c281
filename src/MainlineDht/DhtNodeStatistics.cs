namespace MainlineDht;

/// <summary>Counters of a node since it started. A snapshot: the values do not change afterwards.</summary>
public sealed record DhtNodeStatistics
{
    /// <summary>Datagrams received.</summary>
    public long DatagramsReceived { get; init; }

    /// <summary>Datagrams that were not valid KRPC (dropped or answered with an error).</summary>
    public long MalformedReceived { get; init; }

    /// <summary>Queries answered with a response.</summary>
    public long QueriesAnswered { get; init; }

    /// <summary>Queries received, by method name (<c>ping</c>, <c>find_node</c>, …, <c>unknown</c>).</summary>
    public IReadOnlyDictionary<string, long> QueriesReceived { get; init; } = new Dictionary<string, long>();

    /// <summary>Queries sent, by method name.</summary>
    public IReadOnlyDictionary<string, long> QueriesSent { get; init; } = new Dictionary<string, long>();

    /// <summary>KRPC errors sent, by code.</summary>
    public IReadOnlyDictionary<int, long> ErrorsSent { get; init; } = new Dictionary<int, long>();

    /// <summary>Queries dropped by the per-IP rate limit.</summary>
    public long QueriesRateLimited { get; init; }

    /// <summary>Queries dropped unread because their source IP was banned (it kept exceeding the per-IP limit).</summary>
    public long QueriesFromBannedIps { get; init; }

    /// <summary>Bans of source IPs started (<see cref="DhtNodeOptions.IpBanThreshold"/>).</summary>
    public long IpBans { get; init; }

    /// <summary>Source IPs banned now.</summary>
    public int IpsBannedNow { get; init; }

    /// <summary>Replies to unverified sources not sent because even cut down they exceeded <see cref="DhtNodeOptions.AmplificationLimit"/> times their query.</summary>
    public long RepliesWithheld { get; init; }

    /// <summary>
    /// Replies to unverified sources sent without a field that did not fit <see cref="DhtNodeOptions.AmplificationLimit"/>
    /// times their query: part of a sample, or a BEP 44 item or scrape filters left out whole.
    /// </summary>
    public long RepliesCut { get; init; }

    /// <summary>Replies to unverified sources not sent because the reply byte budget (<see cref="DhtNodeOptions.ReplyBytesPerSecond"/>) was spent.</summary>
    public long RepliesOverBudget { get; init; }

    /// <summary>The node's health when the snapshot was taken (see <see cref="DhtHealth"/> for the rules).</summary>
    public DhtHealth Health { get; init; }

    /// <summary>Whether the node ran BEP 43 read-only when the snapshot was taken: by its options, or by itself while firewalled.</summary>
    public bool ReadOnlyNow { get; init; }

    /// <summary>Responses received that matched a query in flight.</summary>
    public long ResponsesReceived { get; init; }

    /// <summary>KRPC errors received that matched a query in flight.</summary>
    public long ErrorsReceived { get; init; }

    /// <summary>Replies that matched no query in flight (late, forged or from another endpoint).</summary>
    public long UnmatchedReplies { get; init; }

    /// <summary>Queries that timed out.</summary>
    public long Timeouts { get; init; }

    /// <summary>Queries in flight now.</summary>
    public int OutstandingQueries { get; init; }

    /// <summary>Nodes in the routing tables now (both families).</summary>
    public int RoutingTableSize { get; init; }

    /// <summary>Nodes in the IPv4 routing table now.</summary>
    public int RoutingTableSizeV4 { get; init; }

    /// <summary>Nodes in the IPv6 routing table now (BEP 32).</summary>
    public int RoutingTableSizeV6 { get; init; }

    /// <summary>Infohashes with stored peers now.</summary>
    public int StoredInfoHashes { get; init; }

    /// <summary>Stored peers now, over all infohashes.</summary>
    public int StoredPeers { get; init; }

    /// <summary>Announces accepted from other nodes.</summary>
    public long AnnouncesAccepted { get; init; }

    /// <summary>BEP 44 items stored for others now (expired ones until the next upkeep).</summary>
    public int StoredItems { get; init; }

    /// <summary>BEP 44 puts accepted from other nodes (new items, updates and refreshes).</summary>
    public long ItemsAccepted { get; init; }

    /// <summary>
    /// Nodes named in replies that our lookups did not follow: junk (port 0; unspecified, broadcast,
    /// multicast or reserved addresses; our own id or endpoint; loopback or private addresses of a
    /// network we are not on; ids BEP 42 does not allow, with <see cref="DhtNodeOptions.EnforceNodeIds"/>).
    /// </summary>
    public long NodesIgnored { get; init; }

    /// <summary>
    /// <see cref="NodesIgnored"/> by reason: <c>port_0</c>, <c>unspecified</c>, <c>broadcast</c>,
    /// <c>multicast</c>, <c>reserved</c>, <c>own_id</c>, <c>own_endpoint</c>, <c>loopback</c>,
    /// <c>private</c>, <c>unverified_id</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> NodesIgnoredByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// Datagrams whose handling failed inside the node (a bug: it is counted, never thrown into the
    /// receive loop; the first fault at each site is also logged as an error, <see cref="DhtNodeOptions.LoggerFactory"/>; a logger that throws counts here too).
    /// </summary>
    public long InternalErrors { get; init; }

    /// <summary>
    /// Events of <see cref="DhtNode.WatchQueriesAsync"/> a watcher lost because it fell behind (its
    /// channel full, the oldest event gave way); summed over watchers.
    /// </summary>
    public long HeardQueriesDropped { get; init; }
}
