using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// What libtorrent 2.0.8 puts on the wire over IPv6 (BEP 32), byte for byte: replies and queries
/// captured by the interop harness's <c>probe_v6.py</c> with libtorrent dual-stack on 127.0.0.3 and
/// <c>::1</c> (tests/MainlineDht.InteropTests/harness/CAPTURES.md and captures.json, client
/// "libtorrent over IPv6"). The quirks our IPv6 engine relies on: an 18-byte <c>ip</c>; without
/// <c>want</c>, <c>nodes6</c> only over IPv6; <c>want</c> answered from each family's table whatever
/// the transport; <c>values</c> of the querier's family only, 18-byte peers over IPv6 and an empty
/// <c>values</c> list (<c>6:valueslee</c>) for an IPv4 querier when only IPv6 peers are stored;
/// a separate node id for the IPv6 node; queries with <c>v</c> and never a <c>want</c>.
/// </summary>
/// <remarks>
/// The captured run: the probe querier was [::1]:7001 (and 127.0.0.2:7001 for two queries over
/// IPv4) with the ASCII id <c>probe6-node-id-00001</c>; probe nodes [::1]:7002 and [::1]:7003 had
/// <c>probe6-node-id-00002</c> / <c>…00003</c>, 127.0.0.2:7002 <c>probe-node-id-000002</c>;
/// libtorrent's IPv4 node 127.0.0.3:6881 had the id 082142ec…, its IPv6 node [::1]:6881 the id
/// 04ae3407…, and a second, IPv6-only libtorrent on [::1]:6891 the id d9041b8c…. The probe announced
/// port 4567 for <c>infohash-for-probe-1</c> over IPv6.
/// </remarks>
[TestFixture]
public sealed class RealClientCaptureV6Tests
{
    private static readonly NodeId Libtorrent6Id = NodeId.Parse("04ae3407a181b335c01cce0304968850926fefaa");
    private static readonly NodeId Libtorrent4Id = NodeId.Parse("082142ec46bd0aad9e3a9f05712b7146f5081f80");
    private static readonly NodeId ProbeQuerierId = new(Latin1("probe6-node-id-00001"));
    private static readonly NodeId ProbeInfoHash1 = new(Latin1("infohash-for-probe-1"));
    private static readonly NodeId ProbeInfoHash2 = new(Latin1("infohash-for-probe-2"));
    private static readonly NodeId ProbeInfoHash4 = new(Latin1("infohash-for-probe-4"));
    private static readonly IPEndPoint ProbeQuerier6 = IPEndPoint.Parse("[::1]:7001");
    private static readonly IPEndPoint ProbeQuerier4 = IPEndPoint.Parse("127.0.0.2:7001");
    private static readonly IPEndPoint ProbeAnnouncedPeer6 = IPEndPoint.Parse("[::1]:4567");
    private static readonly byte[] LibtorrentVersion = [(byte)'L', (byte)'T', 2, 8];
    private static readonly byte[] LibtorrentToken6 = Hex("ebbb82bb");

    /// <summary>libtorrent's IPv6 table in the run, as it hands it out: [::1]:7002, [::1]:7003 and the querier itself.</summary>
    private static readonly NodeInfo[] Nodes6InTable =
    [
        new(new NodeId(Latin1("probe6-node-id-00002")), IPEndPoint.Parse("[::1]:7002")),
        new(new NodeId(Latin1("probe6-node-id-00003")), IPEndPoint.Parse("[::1]:7003")),
        new(ProbeQuerierId, ProbeQuerier6),
    ];

    /// <summary>libtorrent's IPv4 table's node closest to <c>infohash-for-probe-1</c>: 127.0.0.2:7002.</summary>
    private static readonly NodeInfo Node4InTable = new(new NodeId(Latin1("probe-node-id-000002")), IPEndPoint.Parse("127.0.0.2:7002"));

    // libtorrent over IPv6 — ping:
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa1:pi7001ee1:t2:aa1:v4:LT\x02\x081:y1:re
    private const string Lt6PingReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa313a7069373030316565313a74323a6161313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — find_node (no want):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001ee1:t2:fn1:v4:LT\x02\x081:y1:re
    private const string Lt6FindNodeReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a7069373030316565313a74323a666e313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — find_node want n4:
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa5:nodes26:probe-node-id-000002\x7f\x00\x00\x02\x1bZ1:pi7001ee1:t2:f41:v4:LT\x02\x081:y1:re
    private const string Lt6FindNodeWantN4Reply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030327f0000021b5a313a7069373030316565313a74323a6634313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — find_node want n4+n6:
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa5:nodes26:probe-node-id-000002\x7f\x00\x00\x02\x1bZ6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001ee1:t2:f61:v4:LT\x02\x081:y1:re
    private const string Lt6FindNodeWantBothReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030327f0000021b5a363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a7069373030316565313a74323a6636313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — get_peers (no peers stored):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001e5:token4:\xeb\xbb\x82\xbbe1:t2:g11:v4:LT\x02\x081:y1:re
    private const string Lt6GetPeersNodesReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a70693730303165353a746f6b656e343aebbb82bb65313a74323a6731313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — announce_peer (good token, port 4567):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa1:pi7001ee1:t2:a11:v4:LT\x02\x081:y1:re
    private const string Lt6AnnounceReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa313a7069373030316565313a74323a6131313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — get_peers (after announce: values):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001e5:token4:\xeb\xbb\x82\xbb6:valuesl18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x11\xd7ee1:t2:g21:v4:LT\x02\x081:y1:re
    private const string Lt6GetPeersValuesReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a70693730303165353a746f6b656e343aebbb82bb363a76616c7565736c31383a0000000000000000000000000000000111d76565313a74323a6732313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — announce_peer implied_port=1:
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa1:pi7001ee1:t2:a21:v4:LT\x02\x081:y1:re
    private const string Lt6ImpliedAnnounceReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa313a7069373030316565313a74323a6132313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — get_peers want n4+n6 (after implied_port announce):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa5:nodes26:probe-node-id-000002\x7f\x00\x00\x02\x1bZ6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001e5:token4:\xeb\xbb\x82\xbb6:valuesl18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x11\xd718:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bYee1:t2:g31:v4:LT\x02\x081:y1:re
    private const string Lt6GetPeersWantBothReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030327f0000021b5a363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a70693730303165353a746f6b656e343aebbb82bb363a76616c7565736c31383a0000000000000000000000000000000111d731383a000000000000000000000000000000011b596565313a74323a6733313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — announce_peer (bad token):
    //   d1:eli203e13:invalid tokene2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa1:pi7001ee1:t2:a31:v4:LT\x02\x081:y1:ee
    private const string Lt6BadTokenError =
        "64313a656c693230336531333a696e76616c696420746f6b656e65323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa313a7069373030316565313a74323a6133313a76343a4c540208313a79313a6565";

    // libtorrent over IPv6 — unknown method, only id:
    //   d1:eli203e15:unknown messagee2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa1:pi7001ee1:t2:u11:v4:LT\x02\x081:y1:ee
    private const string Lt6UnknownMethodError =
        "64313a656c693230336531353a756e6b6e6f776e206d65737361676565323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa313a7069373030316565313a74323a7531313a76343a4c540208313a79313a6565";

    // libtorrent over IPv6 — sample_infohashes (BEP 51):
    //   d2:ip18:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:rd2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa8:intervali0e6:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY3:numi1e1:pi7001e7:samples20:infohash-for-probe-1e1:t2:s11:v4:LT\x02\x081:y1:re
    private const string Lt6SampleInfohashesReply =
        "64323a697031383a000000000000000000000000000000011b59313a7264323a696432303a04ae3407a181b335c01cce0304968850926fefaa383a696e74657276616c693065363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59333a6e756d693165313a70693730303165373a73616d706c657332303a696e666f686173682d666f722d70726f62652d3165313a74323a7331313a76343a4c540208313a79313a7265";

    // libtorrent dual-stack, its IPv4 node — find_node want n6:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x08!B\xecF\xbd\x0a\xad\x9e:\x9f\x05q+qF\xf5\x08\x1f\x806:nodes6114:probe6-node-id-00002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bZprobe6-node-id-00003\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1b[probe6-node-id-00001\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1bY1:pi7001ee1:t2:x61:v4:LT\x02\x081:y1:re
    private const string Lt4FindNodeWantN6Reply =
        "64323a6970363a7f0000021b59313a7264323a696432303a082142ec46bd0aad9e3a9f05712b7146f5081f80363a6e6f646573363131343a70726f6265362d6e6f64652d69642d3030303032000000000000000000000000000000011b5a70726f6265362d6e6f64652d69642d3030303033000000000000000000000000000000011b5b70726f6265362d6e6f64652d69642d3030303031000000000000000000000000000000011b59313a7069373030316565313a74323a7836313a76343a4c540208313a79313a7265";

    // libtorrent dual-stack, its IPv4 node — get_peers for the hash announced over IPv6:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x08!B\xecF\xbd\x0a\xad\x9e:\x9f\x05q+qF\xf5\x08\x1f\x805:nodes52:probe-node-id-000002\x7f\x00\x00\x02\x1bZprobe6-node-id-00001\x7f\x00\x00\x02\x1bY1:pi7001e5:token4:nz\xc3a6:valueslee1:t2:x41:v4:LT\x02\x081:y1:re
    private const string Lt4GetPeersEmptyValuesReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a082142ec46bd0aad9e3a9f05712b7146f5081f80353a6e6f64657335323a70726f62652d6e6f64652d69642d3030303030327f0000021b5a70726f6265362d6e6f64652d69642d30303030317f0000021b59313a70693730303165353a746f6b656e343a6e7ac361363a76616c7565736c6565313a74323a7834313a76343a4c540208313a79313a7265";

    // libtorrent over IPv6 — client query: get_peers for a random target:
    //   d1:ad2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa9:info_hash20:+.\x8d\xf3N>2\x18&\xf5\xcf<P\xcb\xdc\xe1mW\x0c\xbee1:q9:get_peers1:t2:\xd2%1:v4:LT\x02\x081:y1:qe
    private const string Lt6GetPeersQuery =
        "64313a6164323a696432303a04ae3407a181b335c01cce0304968850926fefaa393a696e666f5f6861736832303a2b2e8df34e3e321826f5cf3c50cbdce16d570cbe65313a71393a6765745f7065657273313a74323ad225313a76343a4c540208313a79313a7165";

    // libtorrent over IPv6 — client query: announce_peer for the announced info-hash:
    //   d1:ad2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa9:info_hash20:infohash-for-probe-24:porti6881e4:seedi0e5:token4:tok6e1:q13:announce_peer1:t2:\x8fw1:v4:LT\x02\x081:y1:qe
    private const string Lt6AnnouncePeerQuery =
        "64313a6164323a696432303a04ae3407a181b335c01cce0304968850926fefaa393a696e666f5f6861736832303a696e666f686173682d666f722d70726f62652d32343a706f7274693638383165343a73656564693065353a746f6b656e343a746f6b3665313a7131333a616e6e6f756e63655f70656572313a74323a8f77313a76343a4c540208313a79313a7165";

    // libtorrent over IPv6 — client query: get_peers for the followed info-hash:
    //   d1:ad2:id20:\x04\xae4\x07\xa1\x81\xb35\xc0\x1c\xce\x03\x04\x96\x88P\x92o\xef\xaa9:info_hash20:infohash-for-probe-4e1:q9:get_peers1:t2:]\xb81:v4:LT\x02\x081:y1:qe
    private const string Lt6FollowedGetPeersQuery =
        "64313a6164323a696432303a04ae3407a181b335c01cce0304968850926fefaa393a696e666f5f6861736832303a696e666f686173682d666f722d70726f62652d3465313a71393a6765745f7065657273313a74323a5db8313a76343a4c540208313a79313a7165";

    // libtorrent over IPv6 — client query: ping (refresh of a full bucket):
    //   d1:ad2:id20:\xd9\x04\x1b\x8c\x9a\x0b\x83\xe5\x8556t\x8a\xce6\x16'\xc7\x1b\xb7e1:q4:ping1:t2:\xb7J1:v4:LT\x02\x081:y1:qe
    private const string Lt6PingQuery =
        "64313a6164323a696432303ad9041b8c9a0b83e5853536748ace361627c71bb765313a71343a70696e67313a74323ab74a313a76343a4c540208313a79313a7165";

    // ---- replies over IPv6 -----------------------------------------------------------------

    [Test]
    public void Ping_reply_over_IPv6_has_the_IPv6_nodes_id_and_an_18_byte_ip()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6PingReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo("aa"));
            Assert.That(reply.Id, Is.EqualTo(Libtorrent6Id), "the IPv6 node's own id, not the IPv4 node's");
            Assert.That(reply.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(reply.ExternalAddress.Length, Is.EqualTo(CompactFormat.PeerV6Size));
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier6), "BEP 42 ip = the requester's [::1]:7001");
        }
    }

    [TestCase(Lt6FindNodeReply, "fn", TestName = "find_node over IPv6 without want")]
    [TestCase(Lt6GetPeersNodesReply, "g1", TestName = "get_peers over IPv6 without want")]
    [TestCase(Lt6SampleInfohashesReply, "s1", TestName = "sample_infohashes over IPv6 without want")]
    public void Without_want_a_reply_over_IPv6_carries_nodes6_and_no_nodes(string hex, string transactionId)
    {
        var reply = DecodeAs<KrpcResponse>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo(transactionId));
            Assert.That(Nodes6(reply), Is.EqualTo(Nodes6InTable), "the querier itself among them (it had queried twice)");
            Assert.That(reply.Nodes.IsEmpty, Is.True);
            Assert.That(reply.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes6 | (transactionId == "s1" ? KrpcResponseKeys.Samples : 0)), "no nodes key at all");
        }
    }

    [Test]
    public void Want_n4_over_IPv6_gets_nodes_from_the_IPv4_table_only()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6FindNodeWantN4Reply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Nodes(reply), Is.EqualTo(new[] { Node4InTable }));
            Assert.That(reply.Nodes6.IsEmpty, Is.True);
            Assert.That(reply.Id, Is.EqualTo(Libtorrent6Id));
        }
    }

    [Test]
    public void Want_n4_n6_over_IPv6_gets_both_nodes_before_nodes6()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6FindNodeWantBothReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Nodes(reply), Is.EqualTo(new[] { Node4InTable }));
            Assert.That(Nodes6(reply), Is.EqualTo(Nodes6InTable));
        }
    }

    [Test]
    public void Get_peers_over_IPv6_has_a_4_byte_token_and_no_values_before_any_announce()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6GetPeersNodesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Token.ToArray(), Is.EqualTo(LibtorrentToken6));
            Assert.That(reply.Values.IsEmpty, Is.True);
            Assert.That(reply.Values.Count, Is.Zero);
        }
    }

    [Test]
    public void Get_peers_over_IPv6_returns_18_byte_values()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6GetPeersValuesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Values.Count, Is.EqualTo(1));
            foreach (ReadOnlySpan<byte> entry in reply.Values)
            {
                Assert.That(entry.Length, Is.EqualTo(CompactFormat.PeerV6Size));
            }

            Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer6 }));
            Assert.That(Nodes6(reply), Is.EqualTo(Nodes6InTable));
        }
    }

    [Test]
    public void Implied_port_over_IPv6_stores_the_IPv6_source_and_want_n4_n6_keeps_IPv6_values()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6GetPeersWantBothReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer6, ProbeQuerier6 }), "values of the querier's family only, whatever want says");
            Assert.That(Nodes(reply), Is.EqualTo(new[] { Node4InTable }));
            Assert.That(Nodes6(reply), Is.EqualTo(Nodes6InTable));
            Assert.That(reply.Token.ToArray(), Is.EqualTo(LibtorrentToken6));
        }
    }

    [TestCase(Lt6AnnounceReply, "a1", TestName = "announce_peer over IPv6 is a bare reply with an 18-byte ip")]
    [TestCase(Lt6ImpliedAnnounceReply, "a2", TestName = "announce_peer with implied_port over IPv6 is a bare reply with an 18-byte ip")]
    public void Announce_reply_over_IPv6_is_bare(string hex, string transactionId)
    {
        var reply = DecodeAs<KrpcResponse>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo(transactionId));
            Assert.That(reply.Id, Is.EqualTo(Libtorrent6Id));
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier6));
            Assert.That(reply.PresentKeys, Is.EqualTo(KrpcResponseKeys.None));
        }
    }

    [Test]
    public void Sample_infohashes_over_IPv6_decodes_samples_num_and_interval()
    {
        var reply = DecodeAs<KrpcResponse>(Lt6SampleInfohashesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Samples.ToArray(), Is.EqualTo(ProbeInfoHash1.ToArray()));
            Assert.That(reply.Num, Is.EqualTo(1));
            Assert.That(reply.Interval, Is.Zero);
        }
    }

    [TestCase(Lt6BadTokenError, "a3", "invalid token", TestName = "Bad token over IPv6 is 203 with an r dictionary and an 18-byte ip")]
    [TestCase(Lt6UnknownMethodError, "u1", "unknown message", TestName = "Unknown method over IPv6 is 203 with an r dictionary and an 18-byte ip")]
    public void Errors_over_IPv6_are_the_IPv4_ones_with_an_18_byte_ip(string hex, string transactionId, string message)
    {
        var error = DecodeAs<KrpcError>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Code, Is.EqualTo(203));
            Assert.That(error.MessageText, Is.EqualTo(message));
            Assert.That(Text(error.TransactionId), Is.EqualTo(transactionId));
            Assert.That(error.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(error.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier6));
        }
    }

    // ---- replies of the IPv4 node of the same session ----------------------------------------

    [Test]
    public void Want_n6_over_IPv4_gets_nodes6_only_from_the_IPv4_node()
    {
        var reply = DecodeAs<KrpcResponse>(Lt4FindNodeWantN6Reply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Id, Is.EqualTo(Libtorrent4Id), "the IPv4 node's id");
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier4), "a 6-byte ip over IPv4");
            Assert.That(Nodes6(reply), Is.EqualTo(Nodes6InTable), "from the IPv6 node's table");
            Assert.That(reply.Nodes.IsEmpty, Is.True);
        }
    }

    /// <summary>
    /// The peers were announced over IPv6 only: the IPv4 node, sharing the session's peer store,
    /// answers an IPv4 querier with an empty <c>values</c> list (<c>6:valueslee</c>), not without
    /// <c>values</c>. Our codec takes it as a present, empty list and writes it back as it came.
    /// </summary>
    [Test]
    public void An_IPv4_querier_gets_an_empty_values_list_for_a_hash_with_only_IPv6_peers()
    {
        byte[] original = Hex(Lt4GetPeersEmptyValuesReply);
        Assert.That(KrpcCodec.TryDecode(original, out KrpcMessage? message, out KrpcDecodeError error), Is.True, error.ToString());
        var reply = (KrpcResponse)message!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Values.Count, Is.Zero);
            Assert.That(reply.Values.ToEndPoints(), Is.Empty);
            Assert.That(reply.Values.Encoded.ToArray(), Is.EqualTo("le"u8.ToArray()), "present and empty");
            Assert.That(reply.Token.ToArray(), Is.EqualTo(Hex("6e7ac361")));
            Assert.That(Nodes(reply), Has.Count.EqualTo(2));
        }

        Assert.That(Text(KrpcCodec.Encode(reply)), Is.EqualTo(Text(original).Replace("1:pi7001e", "", StringComparison.Ordinal)));
    }

    // ---- libtorrent's queries over IPv6 (what our IPv6 engine receives) -----------------------

    [Test]
    public void Get_peers_query_over_IPv6_carries_the_IPv6_id_v_and_no_want()
    {
        var query = DecodeAs<GetPeersQuery>(Lt6GetPeersQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(Libtorrent6Id));
            Assert.That(query.InfoHash, Is.EqualTo(NodeId.Parse("2b2e8df34e3e321826f5cf3c50cbdce16d570cbe")), "a random target: how it contacts a node it is given");
            Assert.That(ToHex(query.TransactionId.Span), Is.EqualTo("d225"));
            Assert.That(query.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(query.Want, Is.EqualTo(WantFamilies.None), "libtorrent never sends want");
        }
    }

    [Test]
    public void Get_peers_query_of_an_IPv6_lookup_has_no_want_either()
    {
        var query = DecodeAs<GetPeersQuery>(Lt6FollowedGetPeersQuery);
        Assert.That(query.InfoHash, Is.EqualTo(ProbeInfoHash4));
        Assert.That(query.Want, Is.EqualTo(WantFamilies.None));
    }

    [Test]
    public void Announce_peer_over_IPv6_carries_the_IPv6_sockets_port_and_seed()
    {
        var query = DecodeAs<AnnouncePeerQuery>(Lt6AnnouncePeerQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(Libtorrent6Id));
            Assert.That(query.InfoHash, Is.EqualTo(ProbeInfoHash2));
            Assert.That(query.Port, Is.EqualTo(6881), "its IPv6 socket's listen port");
            Assert.That(query.ImpliedPort, Is.False);
            Assert.That(query.Seed, Is.False);
            Assert.That(Text(query.Token), Is.EqualTo("tok6"));
        }

        // Byte for byte but for seed = 0, which we write only when it is 1 (BEP 33: absent means not a seed).
        string expected = Text(Hex(Lt6AnnouncePeerQuery)).Replace("4:seedi0e", "", StringComparison.Ordinal);
        Assert.That(Text(KrpcCodec.Encode(query)), Is.EqualTo(expected));
    }

    [Test]
    public void Ping_query_over_IPv6_carries_v_and_a_2_byte_transaction_id()
    {
        var query = DecodeAs<PingQuery>(Lt6PingQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(NodeId.Parse("d9041b8c9a0b83e5853536748ace361627c71bb7")));
            Assert.That(ToHex(query.TransactionId.Span), Is.EqualTo("b74a"));
            Assert.That(query.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
        }
    }

    // ---- round trips -----------------------------------------------------------------------

    /// <summary>libtorrent's get_peers and ping queries carry no key we do not model: they re-encode byte for byte.</summary>
    [TestCaseSource(nameof(Queries))]
    public void Queries_reencode_byte_for_byte(string hex) =>
        Assert.That(ToHex(KrpcCodec.Encode(KrpcCodec.Decode(Hex(hex)))), Is.EqualTo(hex));

    /// <summary>
    /// Its replies re-encode byte for byte but for <c>r.p</c> (the requester's port, a key we do not
    /// model): nodes, nodes6, values of either size, the 18-byte ip and the empty values list come back as they were.
    /// </summary>
    [TestCaseSource(nameof(Replies))]
    public void Replies_reencode_byte_for_byte_without_r_p(string hex)
    {
        string expected = Text(Hex(hex)).Replace("1:pi7001e", "", StringComparison.Ordinal);
        Assert.That(Text(KrpcCodec.Encode(KrpcCodec.Decode(Hex(hex)))), Is.EqualTo(expected));
    }

    /// <summary>Every capture decodes with the lenient entry point too, and as the same message.</summary>
    [TestCaseSource(nameof(AllCaptures))]
    public void TryDecode_accepts_every_capture(string hex)
    {
        Assert.That(KrpcCodec.TryDecode(Hex(hex), out KrpcMessage? message, out KrpcDecodeError error), Is.True, error.ToString());
        Assert.That(message, Is.EqualTo(KrpcCodec.Decode(Hex(hex))));
    }

    private static IEnumerable<TestCaseData> Queries() => Named(
        nameof(Lt6GetPeersQuery), nameof(Lt6FollowedGetPeersQuery), nameof(Lt6PingQuery));

    private static IEnumerable<TestCaseData> Replies() => Named(
        nameof(Lt6PingReply), nameof(Lt6FindNodeReply), nameof(Lt6FindNodeWantN4Reply), nameof(Lt6FindNodeWantBothReply),
        nameof(Lt6GetPeersNodesReply), nameof(Lt6AnnounceReply), nameof(Lt6GetPeersValuesReply), nameof(Lt6ImpliedAnnounceReply),
        nameof(Lt6GetPeersWantBothReply), nameof(Lt6SampleInfohashesReply), nameof(Lt4FindNodeWantN6Reply), nameof(Lt4GetPeersEmptyValuesReply));

    private static IEnumerable<TestCaseData> AllCaptures() =>
        typeof(RealClientCaptureV6Tests)
            .GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => new TestCaseData((string)f.GetRawConstantValue()!).SetArgDisplayNames(f.Name));

    private static IEnumerable<TestCaseData> Named(params string[] names) =>
        names.Select(name => new TestCaseData((string)typeof(RealClientCaptureV6Tests)
            .GetField(name, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .GetRawConstantValue()!).SetArgDisplayNames(name));

    // ---- helpers ---------------------------------------------------------------------------

    private static T DecodeAs<T>(string hex)
        where T : KrpcMessage
    {
        KrpcMessage message = KrpcCodec.Decode(Hex(hex));
        Assert.That(message, Is.InstanceOf<T>());
        return (T)message;
    }

    private static List<NodeInfo> Nodes(KrpcResponse reply) => CompactFormat.ReadNodes(reply.Nodes.Span, AddressFamily.InterNetwork);

    private static List<NodeInfo> Nodes6(KrpcResponse reply) => CompactFormat.ReadNodes(reply.Nodes6.Span, AddressFamily.InterNetworkV6);
}
