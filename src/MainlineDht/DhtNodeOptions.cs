using System.Net;
using System.Net.Sockets;
using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Transport;

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
    /// IPv6 runs the IPv4 side alone and says so once through <see cref="OnWarning"/>.
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

    /// <summary>BEP 43: run read-only (send <c>ro</c> = 1, answer no queries); default false.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The client version sent as <c>v</c>: 2 letters and 2 version bytes; default "MD" 0.1.</summary>
    public ReadOnlyMemory<byte> Version { get; init; } = new byte[] { (byte)'M', (byte)'D', 0, 1 };

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
    /// Called with a one-line message when something needs a person's attention but does not stop
    /// the node (for example a state file that could not be read and was set aside). Default none.
    /// </summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>
    /// Completes query tasks inline on the thread that received the reply instead of on the thread
    /// pool. Used by single-threaded simulations for determinism; default false.
    /// </summary>
    internal bool RunContinuationsInline { get; init; }

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
