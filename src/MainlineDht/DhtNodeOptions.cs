using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Transport;
using Microsoft.Extensions.Logging;

namespace MainlineDht;

/// <summary>How a <see cref="DhtNode"/> is set up. Every property has a documented default.</summary>
public sealed record DhtNodeOptions
{
    /// <summary>The node id; default: random (or the one in the state file, when there is one).</summary>
    public NodeId? NodeId { get; init; }

    /// <summary>
    /// The IPv4 UDP endpoint to bind; default 0.0.0.0:6881. Null runs no IPv4 (then
    /// <see cref="BindEndPointV6"/> must be set). An IPv6 endpoint here, with no
    /// <see cref="BindEndPointV6"/>, runs an IPv6-only node on it.
    /// </summary>
    public IPEndPoint? BindEndPoint { get; init; } = new(IPAddress.Any, 6881);

    /// <summary>
    /// The IPv6 UDP endpoint to bind (BEP 32: the node then runs on both families, one routing table
    /// each, one node id), for example <c>[::]:6881</c>; default null: no IPv6. A machine without
    /// IPv6 runs the IPv4 side alone and says so once, as a warning through <see cref="LoggerFactory"/>.
    /// </summary>
    public IPEndPoint? BindEndPointV6 { get; init; }

    /// <summary>The IPv4 and IPv6 endpoints to bind, as <see cref="BindEndPoint"/> and <see cref="BindEndPointV6"/> say.</summary>
    internal (IPEndPoint? V4, IPEndPoint? V6) EndPoints =>
        BindEndPoint is { AddressFamily: AddressFamily.InterNetworkV6 } v6Only && BindEndPointV6 is null
            ? (null, v6Only)
            : (BindEndPoint, BindEndPointV6);

    /// <summary>
    /// Nodes to join through, as <c>host:port</c>; default none. <see cref="DhtNode.JoinAsync"/>
    /// tries these first, then the nodes saved in <see cref="StateFile"/>, then — when neither
    /// answered and <see cref="UsePublicRouters"/> allows — the public routers.
    /// </summary>
    public IReadOnlyList<string> BootstrapNodes { get; init; } = [];

    /// <summary>
    /// Whether to join through <see cref="DefaultBootstrapNodes"/> when no given bootstrap node and no
    /// saved node answers (none given counts as none answering); default true.
    /// </summary>
    public bool UsePublicRouters { get; init; } = true;

    /// <summary>The public routers, the last resort of a join.</summary>
    public static IReadOnlyList<string> DefaultBootstrapNodes { get; } =
    [
        "router.bittorrent.com:6881",
        "dht.transmissionbt.com:6881",
        "router.utorrent.com:6881",
        "dht.libtorrent.org:25401",
    ];

    /// <summary>A file to load the node id and routing table from at start and save them to at stop; default none.</summary>
    public string? StateFile { get; init; }

    /// <summary>How long a query may go unanswered before it counts as failed; default 4 s.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>The most queries this node keeps in flight at once; default 2048.</summary>
    public int MaxOutstandingQueries { get; init; } = 2048;

    /// <summary>
    /// Queries per second answered for one source IP (a token bucket with <see cref="QueryBurstPerIp"/>);
    /// 0 turns the limit off. Default 200.
    /// </summary>
    public double QueriesPerSecondPerIp { get; init; } = 200;

    /// <summary>The token bucket size of the per-IP limit; default 400.</summary>
    public double QueryBurstPerIp { get; init; } = 400;

    /// <summary>
    /// An IP whose queries the per-IP limit dropped this many times, without its bucket filling up
    /// again in between (it keeps exceeding its rate), is banned for <see cref="IpBanDuration"/>: its
    /// queries are dropped unread. 0 never bans. Default 400 (one burst's worth of excess). libtorrent
    /// bans at once past <c>dht_block_ratelimit</c> = 5 queries/s; ours answers up to 200/s, since a
    /// crawler, a NAT with many clients or a tracker's DHT front end legitimately sends more.
    /// </summary>
    public int IpBanThreshold { get; init; } = 400;

    /// <summary>How long a ban lasts; default 5 minutes (libtorrent's <c>dht_block_timeout</c>, 300 s). At most 1,024 IPs are banned at once.</summary>
    public TimeSpan IpBanDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A reply to a source that has never been verified (not in our routing table: it never answered
    /// a query of ours) is at most this many times the size of its query, whatever it asks:
    /// <c>values</c>, <c>samples</c>, <c>nodes6</c> and <c>nodes</c> are cut to fit (in that order of
    /// sacrifice: the fields added last); a BEP 44 item and BEP 33 scrape filters, whole or nothing,
    /// are left out when they do not fit; a reply that still does not fit is not sent. A spoofed
    /// source then cannot use us to amplify traffic at a victim. A querier that needs a large reply
    /// pads its query (<see cref="Protocol.KrpcQuery.Padding"/>; our crawler, scraper and item lookups
    /// do). 0 lifts the limit (replies are still kept under 1,200 bytes). Default 4; the factors
    /// measured are in the README.
    /// </summary>
    public int AmplificationLimit { get; init; } = 4;

    /// <summary>
    /// The reply byte budget: a token bucket of this many bytes per second, holding 2 s worth. A reply
    /// to an unverified source (neither in our routing table nor an endpoint that answered a query of
    /// ours in the last 15 minutes) is sent only while it leaves the bucket half full; a reply to a
    /// verified node is never refused, and spends the bucket first. A source refused for the budget is
    /// pinged (at most once a minute): a real node answers and is verified from then on, a spoofed
    /// source never does and stays held to the budget. So a flood from addresses that do not answer
    /// gets at most this rate (about 1,470 pings or 330 full replies a second at the default), while
    /// the nodes of the DHT are answered as fast as the node can. 0 turns the budget off (and with it
    /// the table of answered endpoints). Default 100,000 B/s. libtorrent's
    /// <c>dht_upload_rate_limit</c> is 8,000 B/s for every reply, fit for a torrent client whose DHT is
    /// a side job; a node built on this library may be the DHT's front end.
    /// </summary>
    public int ReplyBytesPerSecond { get; init; } = 100_000;

    /// <summary>
    /// Which addresses the IP-diversity rules apply to (one routing entry per IP, one node per /24 or
    /// /64 in a bucket and in a lookup); default <see cref="MainlineDht.IpDiversity.Public"/>:
    /// loopback, private and link-local addresses are exempt. <see cref="MainlineDht.IpDiversity.All"/>
    /// applies them to loopback too (to test them on one machine).
    /// </summary>
    public IpDiversity IpDiversity { get; init; } = IpDiversity.Public;

    /// <summary>
    /// BEP 42: refuse nodes whose id is not the one their address allows (crc32c of the address): they
    /// enter no routing table and lookups do not follow them. Default false, like libtorrent's
    /// <c>dht_enforce_node_id</c>: many nodes on the live DHT still have ids of their own choosing.
    /// Without it the table only prefers verified ids (its own bucket splits for an unverified newcomer
    /// only while fewer than 2/3 of the bucket are verified). Loopback, private and link-local
    /// addresses allow any id.
    /// </summary>
    public bool EnforceNodeIds { get; init; }

    /// <summary>
    /// How long a joined node may go without any query reaching it before it counts as firewalled
    /// (<see cref="DhtHealth.Firewalled"/>: our queries are answered, but nobody can reach us).
    /// Default 5 minutes: a reachable node with a fresh id on the live DHT is queried within a minute
    /// or two, as other nodes verify it and refresh their buckets.
    /// </summary>
    public TimeSpan FirewalledAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A firewalled node switches itself to BEP 43 read-only (its queries carry <c>ro</c> = 1, so
    /// that others stop listing an address nobody can reach) and back as soon as a query reaches it;
    /// every 6 × <see cref="FirewalledAfter"/> it leaves read-only for a while to see whether it is
    /// reachable again. Default true.
    /// </summary>
    public bool ReadOnlyWhenFirewalled { get; init; } = true;

    /// <summary>BEP 43: run read-only (send <c>ro</c> = 1, answer no queries); default false.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The client version sent as <c>v</c>: 2 letters and 2 version bytes; default "MD" 0.1.</summary>
    public ReadOnlyMemory<byte> Version { get; init; } = DefaultVersion;

    /// <summary>One array for every options object (read only through the memory).</summary>
    private static readonly byte[] DefaultVersion = [(byte)'M', (byte)'D', 0, 1];

    /// <summary>Which destinations the node may send to; default all. Tests use <see cref="SendPolicy.LoopbackOnly"/>.</summary>
    public SendPolicy SendPolicy { get; init; } = SendPolicy.AllowAll;

    /// <summary>The clock; default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// A seed for the node's randomness: its id (when none is given or saved), transaction ids,
    /// sampling and write token secrets. Each node builds its own generators from it, so one options
    /// instance can start any number of nodes, and a seeded run (a test, a simulation) repeats
    /// exactly. Default null: unseeded, and token secrets from
    /// <see cref="System.Security.Cryptography.RandomNumberGenerator"/>. A seed makes tokens
    /// predictable: leave it unset on the real network.
    /// </summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// After a join found no node, or once the routing table has no live node left, the node
    /// bootstraps again by itself (given nodes, saved nodes, public routers, as a join does) after
    /// this delay; the delay doubles after each try that finds no node, up to
    /// <see cref="MaxBootstrapRetryDelay"/>, and starts over once the table has a live node. Default 1 s.
    /// </summary>
    public TimeSpan BootstrapRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries to bootstrap, at most one day; default 5 minutes.</summary>
    public TimeSpan MaxBootstrapRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many peers one infohash may hold; default 500.</summary>
    public int MaxPeersPerInfoHash { get; init; } = 500;

    /// <summary>How many infohashes the node stores peers for; default 5000.</summary>
    public int MaxInfoHashes { get; init; } = 5000;

    /// <summary>How long an announced peer is kept after its last announce; default 30 min.</summary>
    public TimeSpan PeerLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Checks the ed25519 signatures of BEP 44 mutable items: with one, the node stores and serves
    /// mutable items others put, and <see cref="DhtNode.GetItemAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, CancellationToken)"/>
    /// verifies what it finds. Default null: the library holds no cryptography of its own, so a
    /// mutable <c>put</c> is refused with 202 ("mutable items are not stored by this node") and
    /// mutable gets throw; immutable items need no verifier and always work. The
    /// <c>MainlineDht.Items</c> package has one: <c>Ed25519ItemSignatureVerifier.Instance</c>.
    /// </summary>
    public IItemSignatureVerifier? ItemSignatureVerifier { get; init; }

    /// <summary>
    /// How many BEP 44 items (immutable and mutable together) the node stores for others; at the
    /// bound a new item replaces the least recently put one. Default 700 (libtorrent's).
    /// </summary>
    public int MaxItems { get; init; } = 700;

    /// <summary>How long a stored BEP 44 item is kept after its last put; default 2 hours (BEP 44).</summary>
    public TimeSpan ItemLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Where the node logs (category <see cref="DhtDiagnostics.LoggerCategory"/>): Warning and Error
    /// for what needs a person's attention but does not stop the node (a state file set aside, a
    /// bootstrap name that did not resolve, a join that found no node, an internal error),
    /// Information for its life (started, stopped, health changes, a new BEP 42 id, an IP banned),
    /// Debug for detail. The README lists every event and its id. A factory rather than a logger, as
    /// .NET libraries take it: a host passes its own. Default null: the node logs nothing.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Creates the node's <see cref="DhtDiagnostics.MeterName"/> meter (a host passes its own, so that
    /// its listeners and OpenTelemetry see the node's instruments in the host's scope). Default null:
    /// the node creates a meter of its own and disposes it when it stops. The README lists the instruments.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// No meter, no instruments and no activity source (logging unchanged): the simulator's nodes,
    /// unless it is given a <see cref="MeterFactory"/>. A meter, its 20 instruments and an activity
    /// source cost about 4.5 KB a node and a place in process-wide lists; a million nodes cannot
    /// afford them, and nobody listens to them there. Default false.
    /// </summary>
    internal bool DiagnosticsOff { get; init; }

    /// <summary>
    /// Completes query tasks inline on the thread that received the reply instead of on the thread
    /// pool. Used by single-threaded simulations for determinism; default false.
    /// </summary>
    internal bool RunContinuationsInline { get; init; }

    /// <summary>
    /// The queries the decoder refills, shared by nodes that never decode at the same time (a
    /// simulation's, all on its loop: ~220 bytes a node); null, the default, gives each engine its own.
    /// Sharing stays safe anyway: a decoder that finds them taken decodes into new objects.
    /// </summary>
    internal ReusableQueries? SharedDecodeScratch { get; init; }

    /// <summary>
    /// Resolves a bootstrap host name to its IPv4 addresses; default DNS. Tests put a resolver of
    /// their own here, so that joining through the public routers can be tested without DNS.
    /// </summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>>? ResolveHost { get; init; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (BindEndPoint is null && BindEndPointV6 is null)
        {
            throw new ArgumentException("BindEndPoint and BindEndPointV6 must not both be null: the node needs one address family.", nameof(BindEndPoint));
        }

        if (BindEndPointV6 is not null && BindEndPointV6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"BindEndPointV6 must be an IPv6 endpoint, not {BindEndPointV6}.", nameof(BindEndPointV6));
        }

        if (BindEndPointV6 is not null && BindEndPoint is { AddressFamily: not AddressFamily.InterNetwork })
        {
            throw new ArgumentException($"BindEndPoint must be an IPv4 endpoint when BindEndPointV6 is set, not {BindEndPoint}.", nameof(BindEndPoint));
        }
        ArgumentNullException.ThrowIfNull(BootstrapNodes, nameof(BootstrapNodes));
        ArgumentNullException.ThrowIfNull(SendPolicy, nameof(SendPolicy));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        if (!Enum.IsDefined(IpDiversity))
        {
            throw new ArgumentException($"IpDiversity {IpDiversity} is not one of All, Public, Off.", nameof(IpDiversity));
        }

        if (QueryTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("QueryTimeout must be positive.", nameof(QueryTimeout));
        }

        if (MaxOutstandingQueries is < 1 or > 32_768)
        {
            throw new ArgumentException("MaxOutstandingQueries must be from 1 to 32768.", nameof(MaxOutstandingQueries));
        }

        if (QueriesPerSecondPerIp < 0 || QueryBurstPerIp < 0)
        {
            throw new ArgumentException("QueriesPerSecondPerIp and QueryBurstPerIp must not be negative.", nameof(QueriesPerSecondPerIp));
        }

        if (FirewalledAfter <= TimeSpan.Zero || FirewalledAfter > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("FirewalledAfter must be from above 0 to one day.", nameof(FirewalledAfter));
        }

        if (IpBanThreshold < 0 || IpBanDuration < TimeSpan.Zero || IpBanDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("IpBanThreshold must not be negative, and IpBanDuration must be from 0 to one day.", nameof(IpBanThreshold));
        }

        if (AmplificationLimit is < 0 or > 100)
        {
            throw new ArgumentException("AmplificationLimit must be from 0 to 100.", nameof(AmplificationLimit));
        }

        if (ReplyBytesPerSecond < 0)
        {
            throw new ArgumentException("ReplyBytesPerSecond must not be negative.", nameof(ReplyBytesPerSecond));
        }

        if (MaxPeersPerInfoHash < 1 || MaxInfoHashes < 1)
        {
            throw new ArgumentException("MaxPeersPerInfoHash and MaxInfoHashes must be at least 1.", nameof(MaxPeersPerInfoHash));
        }

        if (PeerLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("PeerLifetime must be positive.", nameof(PeerLifetime));
        }

        if (MaxItems < 1)
        {
            throw new ArgumentException("MaxItems must be at least 1.", nameof(MaxItems));
        }

        if (ItemLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("ItemLifetime must be positive.", nameof(ItemLifetime));
        }

        if (BootstrapRetryDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException("BootstrapRetryDelay must be positive.", nameof(BootstrapRetryDelay));
        }

        if (MaxBootstrapRetryDelay < BootstrapRetryDelay || MaxBootstrapRetryDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("MaxBootstrapRetryDelay must be from BootstrapRetryDelay to one day.", nameof(MaxBootstrapRetryDelay));
        }

        foreach (string node in BootstrapNodes)
        {
            if (!HostEndPoint.TryParse(node, out _))
            {
                throw new ArgumentException($"Bootstrap node '{node}' is not host:port.", nameof(BootstrapNodes));
            }
        }
    }
}

/// <summary>A <c>host:port</c> pair, the host being a name or an address (IPv6 in brackets).</summary>
/// <param name="Host">The host name or address.</param>
/// <param name="Port">The port, 1 to 65535.</param>
public readonly record struct HostEndPoint(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c> or <c>[v6]:port</c>.</summary>
    public static bool TryParse(string? text, out HostEndPoint endPoint)
    {
        endPoint = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return false;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        if (host.Length == 0)
        {
            return false;
        }

        endPoint = new HostEndPoint(host, port);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
