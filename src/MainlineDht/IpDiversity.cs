namespace MainlineDht;

/// <summary>
/// Which addresses the IP-diversity rules apply to (<see cref="DhtNodeOptions.IpDiversity"/>): at most
/// one routing-table entry per IP address, at most one node per /24 (IPv4) or /64 (IPv6) in each
/// bucket with its replacement cache, and at most one node per /24 (/64) queried by one lookup
/// (bootstrap and starting nodes aside). They keep one operator with a few address ranges from
/// filling a bucket or a lookup with Sybils (libtorrent's <c>dht_restrict_routing_ips</c> and
/// <c>dht_restrict_search_ips</c>).
/// </summary>
public enum IpDiversity
{
    /// <summary>
    /// The default: the rules apply to public addresses; loopback, private (10/8, 172.16/12,
    /// 192.168/16, fc00::/7) and link-local addresses are exempt, so local swarms, where many nodes
    /// share one /24, keep working.
    /// </summary>
    Public,

    /// <summary>The rules apply to every address, loopback included (for tests of the rules on one machine).</summary>
    All,

    /// <summary>No diversity rule: any number of nodes per address range.</summary>
    Off,
}
