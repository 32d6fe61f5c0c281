using System.Net;
using MainlineDht.Transport;

namespace MainlineDht.Hosting;

/// <summary>
/// How the hosted DHT node is set up; bound from the <c>MainlineDht</c> configuration section (see
/// <see cref="SectionName"/>) or set in code. Every property has a documented default, and the
/// options are validated when the host starts: a bad value stops the host with a message that
/// names the option.
/// </summary>
/// <remarks>
/// Durations bind from configuration as <c>hh:mm:ss</c> strings (for example <c>"00:00:04"</c>);
/// <see cref="BootstrapNodes"/> binds from an array (<c>"BootstrapNodes": ["host:port"]</c>, or
/// <c>MainlineDht__BootstrapNodes__0=host:port</c> as an environment variable).
/// </remarks>
public sealed class MainlineDhtOptions
{
    /// <summary>The configuration section the options are usually bound from: <c>MainlineDht</c>.</summary>
    public const string SectionName = "MainlineDht";

    private static readonly DhtNodeOptions Defaults = new();

    /// <summary>
    /// The IP address to bind the UDP socket to; default <c>0.0.0.0</c> (every IPv4 interface). An
    /// IPv4 address when <see cref="BindAddressV6"/> is set, or empty to run IPv6 alone; an IPv6
    /// address here, with no <see cref="BindAddressV6"/>, runs an IPv6-only node on it.
    /// </summary>
    public string BindAddress { get; set; } = IPAddress.Any.ToString();

    /// <summary>
    /// The IPv6 address to bind too (BEP 32: the node then runs on both families, one routing table
    /// each, one node id), for example <c>::</c> (every IPv6 interface) on the same <see cref="Port"/>;
    /// default none: IPv4 only. A machine without IPv6 runs the IPv4 side alone and logs a warning once.
    /// </summary>
    public string? BindAddressV6 { get; set; }

    /// <summary>The UDP port to bind, 0 to 65535 (0 picks a free port); default 6881. Both addresses use it.</summary>
    public int Port { get; set; } = 6881;

    /// <summary>
    /// Nodes to join through, as <c>host:port</c> (IPv6 as <c>[address]:port</c>); default none.
    /// They are tried first, then the nodes saved in <see cref="StateFile"/>, then — when none of
    /// those answered and <see cref="UsePublicRouters"/> is true — the public routers.
    /// </summary>
    public IList<string> BootstrapNodes { get; set; } = [];

    /// <summary>
    /// Whether to join through the well-known public routers
    /// (<see cref="DhtNodeOptions.DefaultBootstrapNodes"/>) when no bootstrap node and no saved
    /// node answers (or none is given); default true.
    /// </summary>
    public bool UsePublicRouters { get; set; } = Defaults.UsePublicRouters;

    /// <summary>
    /// Send only to loopback addresses (127.0.0.0/8 and ::1), whatever other nodes tell us; for
    /// tests and local experiments. Default false.
    /// </summary>
    public bool LoopbackOnly { get; set; }

    /// <summary>
    /// A file the node id and routing table are loaded from at start and saved to every few minutes
    /// and at stop, so that a restarted node rejoins through the nodes it knew; default none. A
    /// relative path is relative to the process's current directory.
    /// </summary>
    public string? StateFile { get; set; }

    /// <summary>The node id as 40 hex digits; default none (the saved one, else a random one).</summary>
    public string? NodeId { get; set; }

    /// <summary>How long a query may go unanswered before it counts as failed; default 4 seconds.</summary>
    public TimeSpan QueryTimeout { get; set; } = Defaults.QueryTimeout;

    /// <summary>The most queries the node keeps in flight at once, 1 to 32768; default 2048.</summary>
    public int MaxOutstandingQueries { get; set; } = Defaults.MaxOutstandingQueries;

    /// <summary>Queries per second answered for one source IP (0 turns the limit off); default 200.</summary>
    public double QueriesPerSecondPerIp { get; set; } = Defaults.QueriesPerSecondPerIp;

    /// <summary>How many queries one source IP may send in a burst above its rate; default 400.</summary>
    public double QueryBurstPerIp { get; set; } = Defaults.QueryBurstPerIp;

    /// <summary>BEP 43: run read-only (send queries, answer none); default false.</summary>
    public bool ReadOnly { get; set; } = Defaults.ReadOnly;

    /// <summary>How many peers are stored for one infohash; default 500.</summary>
    public int MaxPeersPerInfoHash { get; set; } = Defaults.MaxPeersPerInfoHash;

    /// <summary>How many infohashes peers are stored for; default 5000.</summary>
    public int MaxInfoHashes { get; set; } = Defaults.MaxInfoHashes;

    /// <summary>How long an announced peer is kept after its last announce; default 30 minutes.</summary>
    public TimeSpan PeerLifetime { get; set; } = Defaults.PeerLifetime;

    /// <summary>
    /// How many BEP 44 items (immutable and mutable) the node stores for others, at least 1; at the
    /// bound a new item replaces the least recently put one. Default 700. The hosted node serves
    /// mutable items: it checks their ed25519 signatures with <c>MainlineDht.Items</c>.
    /// </summary>
    public int MaxItems { get; set; } = Defaults.MaxItems;

    /// <summary>How long a stored BEP 44 item is kept after its last put; default 2 hours.</summary>
    public TimeSpan ItemLifetime { get; set; } = Defaults.ItemLifetime;

    /// <summary>
    /// When joining finds no node (none of the bootstrap nodes, saved nodes or public routers
    /// answered), or the routing table later has no live node left, how long the node waits before
    /// it bootstraps again; the wait doubles after each try that finds no node, up to
    /// <see cref="MaxJoinRetryDelay"/> (<see cref="DhtNodeOptions.BootstrapRetryDelay"/>). Default 5 seconds.
    /// </summary>
    public TimeSpan JoinRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest wait between two tries to join, from <see cref="JoinRetryDelay"/> to one day
    /// (<see cref="DhtNodeOptions.MaxBootstrapRetryDelay"/>); default 5 minutes.
    /// </summary>
    public TimeSpan MaxJoinRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// An IP whose queries the per-IP limit dropped this many times without its bucket filling up
    /// again is ignored for <see cref="IpBanDuration"/>; 0 bans nobody
    /// (<see cref="DhtNodeOptions.IpBanThreshold"/>). Default 400.
    /// </summary>
    public int IpBanThreshold { get; set; } = Defaults.IpBanThreshold;

    /// <summary>How long a ban lasts, up to one day; default 5 minutes (<see cref="DhtNodeOptions.IpBanDuration"/>).</summary>
    public TimeSpan IpBanDuration { get; set; } = Defaults.IpBanDuration;

    /// <summary>
    /// A reply to a source that never answered a query of ours is at most this many times its query
    /// (0 to 100; 0: no limit); see <see cref="DhtNodeOptions.AmplificationLimit"/> for what is cut. Default 4.
    /// </summary>
    public int AmplificationLimit { get; set; } = Defaults.AmplificationLimit;

    /// <summary>
    /// The bytes per second replies to unverified sources may take (only while the bucket stays half
    /// full; verified nodes are never refused); 0: no budget (<see cref="DhtNodeOptions.ReplyBytesPerSecond"/>). Default 100,000.
    /// </summary>
    public int ReplyBytesPerSecond { get; set; } = Defaults.ReplyBytesPerSecond;

    /// <summary>
    /// Which addresses the IP-diversity rules apply to (<see cref="DhtNodeOptions.IpDiversity"/>):
    /// <c>Public</c> (default), <c>All</c> or <c>Off</c>.
    /// </summary>
    public IpDiversity IpDiversity { get; set; } = Defaults.IpDiversity;

    /// <summary>BEP 42: refuse nodes whose id their address does not allow (<see cref="DhtNodeOptions.EnforceNodeIds"/>); default false.</summary>
    public bool EnforceNodeIds { get; set; } = Defaults.EnforceNodeIds;

    /// <summary>
    /// How long a joined node may go without any query reaching it before it counts as firewalled
    /// (<see cref="DhtNodeOptions.FirewalledAfter"/>), above 0 and up to one day; default 5 minutes.
    /// </summary>
    public TimeSpan FirewalledAfter { get; set; } = Defaults.FirewalledAfter;

    /// <summary>A firewalled node runs BEP 43 read-only until a query reaches it (<see cref="DhtNodeOptions.ReadOnlyWhenFirewalled"/>); default true.</summary>
    public bool ReadOnlyWhenFirewalled { get; set; } = Defaults.ReadOnlyWhenFirewalled;

    /// <summary>The library's options for these settings, with the clock, the loggers and the meter factory given.</summary>
    /// <remarks>Call only on validated options: a malformed address or id throws here.</remarks>
    internal DhtNodeOptions ToNodeOptions(TimeProvider timeProvider, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory, System.Diagnostics.Metrics.IMeterFactory? meterFactory) => new()
    {
        NodeId = string.IsNullOrEmpty(NodeId) ? null : Protocol.NodeId.Parse(NodeId),
        BindEndPoint = string.IsNullOrEmpty(BindAddress) ? null : new IPEndPoint(IPAddress.Parse(BindAddress), Port),
        BindEndPointV6 = string.IsNullOrEmpty(BindAddressV6) ? null : new IPEndPoint(IPAddress.Parse(BindAddressV6), Port),
        BootstrapNodes = [.. BootstrapNodes],
        UsePublicRouters = UsePublicRouters,
        SendPolicy = LoopbackOnly ? SendPolicy.LoopbackOnly() : SendPolicy.AllowAll,
        StateFile = string.IsNullOrEmpty(StateFile) ? null : StateFile,
        QueryTimeout = QueryTimeout,
        MaxOutstandingQueries = MaxOutstandingQueries,
        QueriesPerSecondPerIp = QueriesPerSecondPerIp,
        QueryBurstPerIp = QueryBurstPerIp,
        IpBanThreshold = IpBanThreshold,
        IpBanDuration = IpBanDuration,
        AmplificationLimit = AmplificationLimit,
        ReplyBytesPerSecond = ReplyBytesPerSecond,
        IpDiversity = IpDiversity,
        EnforceNodeIds = EnforceNodeIds,
        FirewalledAfter = FirewalledAfter,
        ReadOnlyWhenFirewalled = ReadOnlyWhenFirewalled,
        ReadOnly = ReadOnly,
        MaxPeersPerInfoHash = MaxPeersPerInfoHash,
        MaxInfoHashes = MaxInfoHashes,
        PeerLifetime = PeerLifetime,
        MaxItems = MaxItems,
        ItemLifetime = ItemLifetime,
        ItemSignatureVerifier = Items.Ed25519ItemSignatureVerifier.Instance,
        BootstrapRetryDelay = JoinRetryDelay,
        MaxBootstrapRetryDelay = MaxJoinRetryDelay,
        TimeProvider = timeProvider,
        LoggerFactory = loggerFactory,
        MeterFactory = meterFactory,
    };
}
