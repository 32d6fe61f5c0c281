
namespace MainlineDht.Tests.Protocol;

/// <summary>
/// Valid KRPC datagrams: the examples of BEP 5, verbatim, and hand-written ones exercising the
/// extensions' fields (keys sorted, so each one re-encodes byte for byte).
/// </summary>
internal static class KrpcVectors
{
    // The ids BEP 5's examples use.
    public const string IdA = "abcdefghij0123456789";
    public const string IdM = "mnopqrstuvwxyz123456";
    public const string Id0 = "0123456789abcdefghij";

    public const string PingQuery = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
    public const string PingResponse = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    public const string FindNodeQuery = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe";
    public const string FindNodeResponse = "d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re";
    public const string GetPeersQuery = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe";
    public const string GetPeersValuesResponse = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re";
    public const string GetPeersNodesResponse = "d1:rd2:id20:abcdefghij01234567895:nodes9:def456...5:token8:aoeusnthe1:t2:aa1:y1:re";
    public const string AnnouncePeerQuery = "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    public const string AnnouncePeerResponse = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    public const string Error = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";

    /// <summary>127.0.0.1:6881 as a compact peer.</summary>
    public const string Peer4 = "\u007f\u0000\u0000\u0001\u001a\u00e1";

    /// <summary>[::1]:6881 as a compact peer.</summary>
    public const string Peer6 = "\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001\u001a\u00e1";

    /// <summary>124.31.75.21:6881 (BEP 42's first example address) as a compact peer.</summary>
    public const string Peer42 = "\u007c\u001f\u004b\u0015\u001a\u00e1";

    /// <summary>A 26-byte compact node: id <see cref="Id0"/> at 127.0.0.1:6881.</summary>
    public const string Node4 = Id0 + Peer4;

    /// <summary>A 38-byte compact node: id <see cref="IdM"/> at [::1]:6881.</summary>
    public const string Node6 = IdM + Peer6;

    public const string Key32 = "KKKKKKKKkkkkkkkkKKKKKKKKkkkkkkkk";
    public const string Sig64 = "SSSSSSSSssssssssSSSSSSSSssssssssSSSSSSSSssssssssSSSSSSSSssssssss";
    public const string Samples40 = IdA + IdM;

    /// <summary>A BEP 33 bloom filter: 256 bytes.</summary>
    public static readonly string Bloom256 = new(Enumerable.Range(0, 256).Select(i => (char)((i * 37) & 0xff)).ToArray());

    // BEP 42: the requester's address in a reply.
    public const string PingResponseWithIp = "d2:ip6:" + Peer42 + "1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
    public const string PingResponseWithIp6 = "d2:ip18:" + Peer6 + "1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";

    // BEP 43: a read-only querier, plus a client version.
    public const string PingQueryReadOnly = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:v4:LT\u0001\u00021:y1:qe";

    // BEP 32: want and nodes6.
    public const string FindNodeQueryWant = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe";
    public const string FindNodeQueryWant6 = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n6ee1:q9:find_node1:t2:aa1:y1:qe";
    public const string FindNodeResponseBoth = "d1:rd2:id20:0123456789abcdefghij5:nodes26:" + Node4 + "6:nodes638:" + Node6 + "e1:t2:aa1:y1:re";

    // BEP 33: scrape, noseed, seed, BFsd, BFpe.
    public const string GetPeersQueryScrape = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234566:noseedi1e6:scrapei1e4:wantl2:n4ee1:q9:get_peers1:t2:aa1:y1:qe";
    public const string AnnouncePeerQuerySeed = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e4:seedi1e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    public static readonly string GetPeersScrapeResponse = "d1:rd4:BFpe256:" + Bloom256 + "4:BFsd256:" + Bloom256 + "2:id20:abcdefghij01234567895:token8:aoeusnthe1:t2:aa1:y1:re";

    // BEP 44: get and put, immutable and mutable.
    public const string GetQueryImmutable = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe";
    public const string GetQueryMutable = "d1:ad2:id20:abcdefghij01234567893:seqi4e6:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe";
    public const string PutQueryImmutable = "d1:ad2:id20:abcdefghij01234567895:token8:aoeusnth1:v12:Hello World!e1:q3:put1:t2:aa1:y1:qe";
    public const string PutQueryMutable = "d1:ad3:casi3e2:id20:abcdefghij01234567891:k32:" + Key32 + "4:salt6:foobar3:seqi4e3:sig64:" + Sig64
        + "5:token8:aoeusnth1:vd1:ai1e1:bl3:abci-7eee" + "e1:q3:put1:t2:aa1:y1:qe";
    public const string GetResponseImmutable = "d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:" + Node4 + "5:token8:aoeusnth1:v12:Hello World!e1:t2:aa1:y1:re";
    public const string GetResponseMutable = "d1:rd2:id20:mnopqrstuvwxyz1234561:k32:" + Key32 + "3:seqi4e3:sig64:" + Sig64 + "5:token8:aoeusnth1:vl1:xi42eee1:t2:aa1:y1:re";

    // BEP 51: sample_infohashes.
    public const string SampleInfohashesQuery = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:aa1:y1:qe";
    public const string SampleInfohashesResponse = "d1:rd2:id20:0123456789abcdefghij8:intervali21600e5:nodes26:" + Node4 + "3:numi1234e7:samples40:" + Samples40 + "e1:t2:aa1:y1:re";

    // Forward compatibility: an unknown method carrying a target; an error with a BEP 44 code.
    public const string UnknownQueryWithTarget = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:vote_node1:t2:aa1:y1:qe";
    public const string ErrorSaltTooBig = "d1:eli207e12:salt too bige1:t4:\u0000\u0001\u00fe\u00ff1:y1:ee";

    public static readonly IReadOnlyDictionary<string, string> Bep5 = new Dictionary<string, string>
    {
        ["ping query"] = PingQuery,
        ["ping response"] = PingResponse,
        ["find_node query"] = FindNodeQuery,
        ["find_node response"] = FindNodeResponse,
        ["get_peers query"] = GetPeersQuery,
        ["get_peers response with values"] = GetPeersValuesResponse,
        ["get_peers response with nodes"] = GetPeersNodesResponse,
        ["announce_peer query"] = AnnouncePeerQuery,
        ["announce_peer response"] = AnnouncePeerResponse,
        ["error"] = Error,
    };

    public static readonly IReadOnlyDictionary<string, string> Extensions = new Dictionary<string, string>
    {
        ["BEP 42 ip"] = PingResponseWithIp,
        ["BEP 42 ip6"] = PingResponseWithIp6,
        ["BEP 43 ro"] = PingQueryReadOnly,
        ["BEP 32 want"] = FindNodeQueryWant,
        ["BEP 32 want n6"] = FindNodeQueryWant6,
        ["BEP 32 nodes6"] = FindNodeResponseBoth,
        ["BEP 33 scrape"] = GetPeersQueryScrape,
        ["BEP 33 seed"] = AnnouncePeerQuerySeed,
        ["BEP 33 bloom filters"] = GetPeersScrapeResponse,
        ["BEP 44 get immutable"] = GetQueryImmutable,
        ["BEP 44 get mutable"] = GetQueryMutable,
        ["BEP 44 put immutable"] = PutQueryImmutable,
        ["BEP 44 put mutable"] = PutQueryMutable,
        ["BEP 44 get response immutable"] = GetResponseImmutable,
        ["BEP 44 get response mutable"] = GetResponseMutable,
        ["BEP 51 query"] = SampleInfohashesQuery,
        ["BEP 51 response"] = SampleInfohashesResponse,
        ["unknown method"] = UnknownQueryWithTarget,
        ["BEP 44 error"] = ErrorSaltTooBig,
    };

    public static IEnumerable<KeyValuePair<string, string>> All => Bep5.Concat(Extensions);

    public static IEnumerable<string> Bep5Names => Bep5.Keys;

    public static IEnumerable<string> ExtensionNames => Extensions.Keys;

    public static IEnumerable<string> AllNames => All.Select(p => p.Key);

    public static string Get(string name) => Bep5.TryGetValue(name, out string? wire) ? wire : Extensions[name];
}
