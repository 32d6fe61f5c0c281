using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// What real clients put on the wire, byte for byte: replies and queries of libtorrent 2.0.8 and
/// WebTorrent's bittorrent-dht 11.0.12, captured on loopback by the interop harness's
/// <c>probe.py</c> (tests/MainlineDht.InteropTests/harness/CAPTURES.md and captures.json). Each is
/// decoded with our codec and its fields checked, so the quirks we rely on stay readable:
/// libtorrent's 4-byte tokens, <c>v</c> = <c>LT\x02\x08</c>, top-level <c>ip</c>, the extra
/// <c>r.p</c>, error replies that also carry an <c>r</c> dictionary, 203 for an unknown method;
/// bittorrent-dht's 20-byte tokens, replies without <c>v</c> or <c>ip</c>, <c>values</c>
/// without <c>nodes</c>; and 1- and 5-byte transaction ids echoed by both.
/// </summary>
/// <remarks>
/// In the setup of the captured run, the probe querier was 127.0.0.2:7001 with the ASCII id
/// <c>probe-node-id-000001</c>, the probe node answering the clients' queries had the id
/// <c>probe-node-id-000002</c>, libtorrent listened on 127.0.0.3:6881 and bittorrent-dht on
/// 127.0.0.4:53043. The probe announced port 4567 for <c>infohash-for-probe-1</c>.
/// </remarks>
[TestFixture]
public sealed class RealClientCaptureTests
{
    private static readonly NodeId LibtorrentId = NodeId.Parse("1bceafe66cf38d964feed7b735d9dbc00f71dbb1");
    private static readonly NodeId WebTorrentId = NodeId.Parse("2dda14304a8a52894ba7a6660dad1aa79fbfcf67");
    private static readonly NodeId ProbeQuerierId = new(Latin1("probe-node-id-000001"));
    private static readonly NodeId ProbeNodeId = new(Latin1("probe-node-id-000002"));
    private static readonly NodeId ProbeInfoHash1 = new(Latin1("infohash-for-probe-1"));
    private static readonly NodeId ProbeInfoHash2 = new(Latin1("infohash-for-probe-2"));
    private static readonly IPEndPoint ProbeQuerier = new(IPAddress.Parse("127.0.0.2"), 7001);
    private static readonly IPEndPoint ProbeAnnouncedPeer = new(IPAddress.Parse("127.0.0.2"), 4567);
    private static readonly byte[] LibtorrentVersion = [(byte)'L', (byte)'T', 2, 8];
    private static readonly byte[] LibtorrentToken = Hex("b231bf45");
    private static readonly byte[] WebTorrentToken = Hex("74d3bbb99cc9d16092f978ef61953e65bd3ab1bc");

    // libtorrent — ping:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t2:aa1:v4:LT\x02\x081:y1:re
    private const string LtPingReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74323a6161313a76343a4c540208313a79313a7265";

    // libtorrent — ping, 5-byte transaction id:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t5:\x00\x01\xfe\xff\x801:v4:LT\x02\x081:y1:re
    private const string LtPingTx5Reply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74353a0001feff80313a76343a4c540208313a79313a7265";

    // libtorrent — ping, 1-byte transaction id:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t1:x1:v4:LT\x02\x081:y1:re
    private const string LtPingTx1Reply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74313a78313a76343a4c540208313a79313a7265";

    // libtorrent — find_node:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001ee1:t2:fn1:v4:LT\x02\x081:y1:re
    private const string LtFindNodeReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a7069373030316565313a74323a666e313a76343a4c540208313a79313a7265";

    // libtorrent — get_peers (no peers stored):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001e5:token4:\xb21\xbfEe1:t2:g11:v4:LT\x02\x081:y1:re
    private const string LtGetPeersNodesReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a70693730303165353a746f6b656e343ab231bf4565313a74323a6731313a76343a4c540208313a79313a7265";

    // libtorrent — announce_peer (good token, port 4567):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t2:a11:v4:LT\x02\x081:y1:re
    private const string LtAnnounceReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74323a6131313a76343a4c540208313a79313a7265";

    // libtorrent — get_peers (after announce: values):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001e5:token4:\xb21\xbfE6:valuesl6:\x7f\x00\x00\x02\x11\xd7ee1:t2:g21:v4:LT\x02\x081:y1:re
    private const string LtGetPeersValuesReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a70693730303165353a746f6b656e343ab231bf45363a76616c7565736c363a7f00000211d76565313a74323a6732313a76343a4c540208313a79313a7265";

    // libtorrent — get_peers (after implied_port announce):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001e5:token4:\xb21\xbfE6:valuesl6:\x7f\x00\x00\x02\x11\xd76:\x7f\x00\x00\x02\x1bYee1:t2:g31:v4:LT\x02\x081:y1:re
    private const string LtGetPeersTwoValuesReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a70693730303165353a746f6b656e343ab231bf45363a76616c7565736c363a7f00000211d7363a7f0000021b596565313a74323a6733313a76343a4c540208313a79313a7265";

    // libtorrent — announce_peer (bad token):
    //   d1:eli203e13:invalid tokene2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t2:a31:v4:LT\x02\x081:y1:ee
    private const string LtBadTokenError =
        "64313a656c693230336531333a696e76616c696420746f6b656e65323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74323a6133313a76343a4c540208313a79313a6565";

    // libtorrent — unknown method, only id:
    //   d1:eli203e15:unknown messagee2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t2:u11:v4:LT\x02\x081:y1:ee
    private const string LtUnknownMethodError =
        "64313a656c693230336531353a756e6b6e6f776e206d65737361676565323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74323a7531313a76343a4c540208313a79313a6565";

    // libtorrent — unknown method with target:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001ee1:t2:u21:v4:LT\x02\x081:y1:re
    private const string LtUnknownWithTargetReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a7069373030316565313a74323a7532313a76343a4c540208313a79313a7265";

    // libtorrent — unknown method with info_hash:
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001ee1:t2:u31:v4:LT\x02\x081:y1:re
    private const string LtUnknownWithInfoHashReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a7069373030316565313a74323a7533313a76343a4c540208313a79313a7265";

    // libtorrent — find_node without target:
    //   d1:eli203e20:missing 'target' keye2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb11:pi7001ee1:t2:m11:v4:LT\x02\x081:y1:ee
    private const string LtMissingTargetError =
        "64313a656c693230336532303a6d697373696e67202774617267657427206b657965323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1313a7069373030316565313a74323a6d31313a76343a4c540208313a79313a6565";

    // libtorrent — query without a:
    //   d1:eli203e15:missing 'a' keye1:t2:m21:v4:LT\x02\x081:y1:ee
    private const string LtMissingArgumentsError =
        "64313a656c693230336531353a6d697373696e6720276127206b657965313a74323a6d32313a76343a4c540208313a79313a6565";

    // libtorrent — sample_infohashes (BEP 51):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb18:intervali0e5:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY3:numi1e1:pi7001e7:samples20:infohash-for-probe-1e1:t2:s11:v4:LT\x02\x081:y1:re
    private const string LtSampleInfohashesReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1383a696e74657276616c693065353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59333a6e756d693165313a70693730303165373a73616d706c657332303a696e666f686173682d666f722d70726f62652d3165313a74323a7331313a76343a4c540208313a79313a7265";

    // libtorrent — get_peers want n4+n6 (BEP 32):
    //   d2:ip6:\x7f\x00\x00\x02\x1bY1:rd2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb15:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY1:pi7001e5:token4:\xb21\xbfE6:valuesl6:\x7f\x00\x00\x02\x11\xd76:\x7f\x00\x00\x02\x1bYee1:t2:w11:v4:LT\x02\x081:y1:re
    private const string LtWantBothReply =
        "64323a6970363a7f0000021b59313a7264323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59313a70693730303165353a746f6b656e343ab231bf45363a76616c7565736c363a7f00000211d7363a7f0000021b596565313a74323a7731313a76343a4c540208313a79313a7265";

    // bittorrent-dht — ping:
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfge1:t2:aa1:y1:re
    private const string WtPingReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6765313a74323a6161313a79313a7265";

    // bittorrent-dht — ping, 5-byte transaction id:
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfge1:t5:\x00\x01\xfe\xff\x801:y1:re
    private const string WtPingTx5Reply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6765313a74353a0001feff80313a79313a7265";

    // bittorrent-dht — ping, 1-byte transaction id:
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfge1:t1:x1:y1:re
    private const string WtPingTx1Reply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6765313a74313a78313a79313a7265";

    // bittorrent-dht — find_node:
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg5:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bYe1:t2:fn1:y1:re
    private const string WtFindNodeReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b5965313a74323a666e313a79313a7265";

    // bittorrent-dht — get_peers (no peers stored):
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg5:nodes26:probe-node-id-000001\x7f\x00\x00\x02\x1bY5:token20:t\xd3\xbb\xb9\x9c\xc9\xd1\x60\x92\xf9x\xefa\x95>e\xbd:\xb1\xbce1:t2:g11:y1:re
    private const string WtGetPeersNodesReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67353a6e6f64657332363a70726f62652d6e6f64652d69642d3030303030317f0000021b59353a746f6b656e32303a74d3bbb99cc9d16092f978ef61953e65bd3ab1bc65313a74323a6731313a79313a7265";

    // bittorrent-dht — announce_peer (good token, port 4567):
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfge1:t2:a11:y1:re
    private const string WtAnnounceReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6765313a74323a6131313a79313a7265";

    // bittorrent-dht — get_peers (after announce: values):
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg5:token20:t\xd3\xbb\xb9\x9c\xc9\xd1\x60\x92\xf9x\xefa\x95>e\xbd:\xb1\xbc6:valuesl6:\x7f\x00\x00\x02\x11\xd7ee1:t2:g21:y1:re
    private const string WtGetPeersValuesReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67353a746f6b656e32303a74d3bbb99cc9d16092f978ef61953e65bd3ab1bc363a76616c7565736c363a7f00000211d76565313a74323a6732313a79313a7265";

    // bittorrent-dht — get_peers (after implied_port announce):
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg5:token20:t\xd3\xbb\xb9\x9c\xc9\xd1\x60\x92\xf9x\xefa\x95>e\xbd:\xb1\xbc6:valuesl6:\x7f\x00\x00\x02\x1bY6:\x7f\x00\x00\x02\x11\xd7ee1:t2:g31:y1:re
    private const string WtGetPeersTwoValuesReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67353a746f6b656e32303a74d3bbb99cc9d16092f978ef61953e65bd3ab1bc363a76616c7565736c363a7f0000021b59363a7f00000211d76565313a74323a6733313a79313a7265";

    // bittorrent-dht — announce_peer (bad token):
    //   d1:eli203e37:cannot \x60announce_peer\x60 with bad tokene1:t2:a31:y1:ee
    private const string WtBadTokenError =
        "64313a656c693230336533373a63616e6e6f742060616e6e6f756e63655f706565726020776974682062616420746f6b656e65313a74323a6133313a79313a6565";

    // bittorrent-dht — find_node without target:
    //   d1:eli203e45:\x60find_node\x60 missing required \x60a.target\x60 fielde1:t2:m11:y1:ee
    private const string WtMissingTargetError =
        "64313a656c693230336534353a6066696e645f6e6f646560206d697373696e672072657175697265642060612e74617267657460206669656c6465313a74323a6d31313a79313a6565";

    // bittorrent-dht — get_peers want n4+n6 (BEP 32):
    //   d1:rd2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg5:token20:t\xd3\xbb\xb9\x9c\xc9\xd1\x60\x92\xf9x\xefa\x95>e\xbd:\xb1\xbc6:valuesl6:\x7f\x00\x00\x02\x1bY6:\x7f\x00\x00\x02\x11\xd7ee1:t2:w11:y1:re
    private const string WtWantBothReply =
        "64313a7264323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67353a746f6b656e32303a74d3bbb99cc9d16092f978ef61953e65bd3ab1bc363a76616c7565736c363a7f0000021b59363a7f00000211d76565313a74323a7731313a79313a7265";

    // libtorrent — client query: get_peers for 0x1064afc46e15ac2fb2095ec21ef6ac831698eea3:
    //   d1:ad2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb19:info_hash20:\x10d\xaf\xc4n\x15\xac/\xb2\x09^\xc2\x1e\xf6\xac\x83\x16\x98\xee\xa3e1:q9:get_peers1:t2:\xd9b1:v4:LT\x02\x081:y1:qe
    private const string LtGetPeersQuery =
        "64313a6164323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1393a696e666f5f6861736832303a1064afc46e15ac2fb2095ec21ef6ac831698eea365313a71393a6765745f7065657273313a74323ad962313a76343a4c540208313a79313a7165";

    // libtorrent — client query: announce_peer for the announced info-hash:
    //   d1:ad2:id20:\x1b\xce\xaf\xe6l\xf3\x8d\x96O\xee\xd7\xb75\xd9\xdb\xc0\x0fq\xdb\xb19:info_hash20:infohash-for-probe-24:porti6881e4:seedi0e5:token4:tok1e1:q13:announce_peer1:t2:\x08;1:v4:LT\x02\x081:y1:qe
    private const string LtAnnouncePeerQuery =
        "64313a6164323a696432303a1bceafe66cf38d964feed7b735d9dbc00f71dbb1393a696e666f5f6861736832303a696e666f686173682d666f722d70726f62652d32343a706f7274693638383165343a73656564693065353a746f6b656e343a746f6b3165313a7131333a616e6e6f756e63655f70656572313a74323a083b313a76343a4c540208313a79313a7165";

    // libtorrent — client query: ping (refresh of a full bucket), from a second libtorrent (id
    // 1b7324a4..., run with --plain-buckets) to a probe node in the far half of its id space:
    //   d1:ad2:id20:\x1bs$\xa4\x13p\x11i\x8a{p\xe5f\xf9\x1f\x82\x01\x05\xab\xefe1:q4:ping1:t2:\xfb\x971:v4:LT\x02\x081:y1:qe
    private const string LtPingQuery =
        "64313a6164323a696432303a1b7324a4137011698a7b70e566f91f820105abef65313a71343a70696e67313a74323afb97313a76343a4c540208313a79313a7165";

    // bittorrent-dht — client query: ping:
    //   d1:ad2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfge1:q4:ping1:t2:\x00\x011:y1:qe
    private const string WtPingQuery =
        "64313a6164323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6765313a71343a70696e67313a74323a0001313a79313a7165";

    // bittorrent-dht — client query: announce_peer for the announced info-hash:
    //   d1:ad2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg12:implied_porti0e9:info_hash20:infohash-for-probe-24:porti4567e5:token4:tok1e1:q13:announce_peer1:t2:\x00\x051:y1:qe
    private const string WtAnnouncePeerQuery =
        "64313a6164323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf6731323a696d706c6965645f706f7274693065393a696e666f5f6861736832303a696e666f686173682d666f722d70726f62652d32343a706f7274693435363765353a746f6b656e343a746f6b3165313a7131333a616e6e6f756e63655f70656572313a74323a0005313a79313a7165";

    // bittorrent-dht — client query: get_peers for the looked-up info-hash:
    //   d1:ad2:id20:-\xda\x140J\x8aR\x89K\xa7\xa6f\x0d\xad\x1a\xa7\x9f\xbf\xcfg9:info_hash20:infohash-for-probe-1e1:q9:get_peers1:t2:\x00\x071:y1:qe
    private const string WtGetPeersQuery =
        "64313a6164323a696432303a2dda14304a8a52894ba7a6660dad1aa79fbfcf67393a696e666f5f6861736832303a696e666f686173682d666f722d70726f62652d3165313a71393a6765745f7065657273313a74323a0007313a79313a7165";

    // bittorrent-dht — client query: find_node, from a second probe run (its id 2a8cb41d...):
    //   d1:ad2:id20:*\x8c\xb4\x1d&'0\x7f\x05\xa8\x14 \xc4v\x03"\xc2o\x8dn6:target20:infohash-for-probe-1e1:q9:find_node1:t2:\x00\x081:y1:qe
    private const string WtFindNodeQuery =
        "64313a6164323a696432303a2a8cb41d2627307f05a81420c4760322c26f8d6e363a74617267657432303a696e666f686173682d666f722d70726f62652d3165313a71393a66696e645f6e6f6465313a74323a0008313a79313a7165";

    // ---- libtorrent replies ----------------------------------------------------------------

    [Test]
    public void Libtorrent_ping_reply_carries_v_ip_and_an_extra_r_p()
    {
        var reply = DecodeAs<KrpcResponse>(LtPingReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo("aa"));
            Assert.That(reply.Id, Is.EqualTo(LibtorrentId));
            Assert.That(reply.Version.ToArray(), Is.EqualTo(LibtorrentVersion), "v = LT 2.8");
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier), "BEP 42 ip = the requester");
            Assert.That(reply.Nodes.IsEmpty, Is.True);
            Assert.That(reply.Token.IsEmpty, Is.True);
            Assert.That(reply.Values.IsEmpty, Is.True);
        }
    }

    [Test]
    public void Libtorrent_ping_reply_reencodes_to_its_bytes_without_the_unknown_r_p()
    {
        // r.p (the requester's port) is an unknown key: ignored on decode, so the only
        // difference after a round trip is that key.
        byte[] original = Hex(LtPingReply);
        byte[] withoutP = Latin1(Text(original).Replace("1:pi7001e", "", StringComparison.Ordinal));
        Assert.That(KrpcCodec.Encode(KrpcCodec.Decode(original)), Is.EqualTo(withoutP));
    }

    [TestCase(LtPingTx1Reply, "78", TestName = "Libtorrent echoes a 1-byte transaction id")]
    [TestCase(LtPingTx5Reply, "0001feff80", TestName = "Libtorrent echoes a 5-byte transaction id")]
    [TestCase(WtPingTx1Reply, "78", TestName = "bittorrent-dht echoes a 1-byte transaction id")]
    [TestCase(WtPingTx5Reply, "0001feff80", TestName = "bittorrent-dht echoes a 5-byte transaction id")]
    public void Odd_length_transaction_ids_come_back_verbatim(string hex, string transactionId)
    {
        var reply = DecodeAs<KrpcResponse>(hex);
        Assert.That(ToHex(reply.TransactionId.Span), Is.EqualTo(transactionId));
    }

    [Test]
    public void Libtorrent_find_node_reply_lists_the_querier_itself()
    {
        var reply = DecodeAs<KrpcResponse>(LtFindNodeReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo("fn"));
            Assert.That(reply.Id, Is.EqualTo(LibtorrentId));
            Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
            Assert.That(reply.Token.IsEmpty, Is.True);
            Assert.That(reply.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
        }
    }

    [Test]
    public void Libtorrent_get_peers_reply_without_peers_has_nodes_and_a_4_byte_token()
    {
        var reply = DecodeAs<KrpcResponse>(LtGetPeersNodesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Token.ToArray(), Is.EqualTo(LibtorrentToken));
            Assert.That(reply.Token.Length, Is.EqualTo(4));
            Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
            Assert.That(reply.Values.IsEmpty, Is.True);
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier));
        }
    }

    [Test]
    public void Libtorrent_get_peers_reply_with_peers_carries_values_and_nodes_together()
    {
        var reply = DecodeAs<KrpcResponse>(LtGetPeersValuesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer }));
            Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
            Assert.That(reply.Token.ToArray(), Is.EqualTo(LibtorrentToken));
        }
    }

    [Test]
    public void Libtorrent_honours_implied_port_the_source_port_joins_values()
    {
        var reply = DecodeAs<KrpcResponse>(LtGetPeersTwoValuesReply);
        Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer, ProbeQuerier }));
    }

    [Test]
    public void Libtorrent_want_n4_n6_from_an_ipv4_session_gets_no_nodes6()
    {
        var reply = DecodeAs<KrpcResponse>(LtWantBothReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Nodes.Length, Is.EqualTo(CompactFormat.NodeV4Size));
            Assert.That(reply.Nodes6.IsEmpty, Is.True);
            Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer, ProbeQuerier }));
        }
    }

    [Test]
    public void Libtorrent_announce_reply_is_a_bare_reply_with_ip()
    {
        var reply = DecodeAs<KrpcResponse>(LtAnnounceReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo("a1"));
            Assert.That(reply.Id, Is.EqualTo(LibtorrentId));
            Assert.That(reply.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier));
        }
    }

    [TestCase(LtUnknownWithTargetReply, "u2", TestName = "Libtorrent answers an unknown method with target like find_node")]
    [TestCase(LtUnknownWithInfoHashReply, "u3", TestName = "Libtorrent answers an unknown method with info_hash like find_node")]
    public void Libtorrent_answers_unknown_methods_with_a_target_like_find_node(string hex, string transactionId)
    {
        var reply = DecodeAs<KrpcResponse>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo(transactionId));
            Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
            Assert.That(reply.Token.IsEmpty, Is.True);
        }
    }

    [Test]
    public void Libtorrent_sample_infohashes_reply_decodes_samples_num_and_interval()
    {
        var reply = DecodeAs<KrpcResponse>(LtSampleInfohashesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Samples.ToArray(), Is.EqualTo(ProbeInfoHash1.ToArray()));
            Assert.That(reply.Num, Is.EqualTo(1));
            Assert.That(reply.Interval, Is.Zero, "the harness sets dht_sample_infohashes_interval = 0");
            Assert.That(Nodes(reply), Has.Count.EqualTo(1));
        }
    }

    // ---- libtorrent errors: y = e, and also ip and an r dictionary -------------------------

    [TestCase(LtBadTokenError, "a3", "invalid token", TestName = "Libtorrent bad token error with an r dictionary")]
    [TestCase(LtUnknownMethodError, "u1", "unknown message", TestName = "Libtorrent unknown method is 203 unknown message, with an r dictionary")]
    [TestCase(LtMissingTargetError, "m1", "missing 'target' key", TestName = "Libtorrent find_node without target error with an r dictionary")]
    public void Libtorrent_error_with_an_r_dictionary_decodes_as_an_error(string hex, string transactionId, string message)
    {
        var error = DecodeAs<KrpcError>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Code, Is.EqualTo(203), "libtorrent says 203 where BEP 5 would have 204 for an unknown method");
            Assert.That(error.MessageText, Is.EqualTo(message));
            Assert.That(Text(error.TransactionId), Is.EqualTo(transactionId));
            Assert.That(error.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(error.GetExternalEndPoint(), Is.EqualTo(ProbeQuerier));
        }
    }

    [Test]
    public void Libtorrent_error_for_a_query_without_a_has_no_ip()
    {
        var error = DecodeAs<KrpcError>(LtMissingArgumentsError);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Code, Is.EqualTo(203));
            Assert.That(error.MessageText, Is.EqualTo("missing 'a' key"));
            Assert.That(Text(error.TransactionId), Is.EqualTo("m2"));
            Assert.That(error.ExternalAddress.IsEmpty, Is.True);
        }

        // No extras here: the round trip is exact.
        Assert.That(KrpcCodec.Encode(error), Is.EqualTo(Hex(LtMissingArgumentsError)));
    }

    // ---- libtorrent queries (what our node receives) ---------------------------------------

    [Test]
    public void Libtorrent_get_peers_query_carries_v_and_a_2_byte_transaction_id()
    {
        var query = DecodeAs<GetPeersQuery>(LtGetPeersQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(LibtorrentId));
            Assert.That(query.InfoHash, Is.EqualTo(NodeId.Parse("1064afc46e15ac2fb2095ec21ef6ac831698eea3")));
            Assert.That(ToHex(query.TransactionId.Span), Is.EqualTo("d962"));
            Assert.That(query.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(query.ReadOnly, Is.False);
            Assert.That(query.Want, Is.EqualTo(WantFamilies.None));
        }

        Assert.That(KrpcCodec.Encode(query), Is.EqualTo(Hex(LtGetPeersQuery)));
    }

    [Test]
    public void Libtorrent_announce_peer_has_seed_and_no_implied_port()
    {
        var query = DecodeAs<AnnouncePeerQuery>(LtAnnouncePeerQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(LibtorrentId));
            Assert.That(query.InfoHash, Is.EqualTo(ProbeInfoHash2));
            Assert.That(query.Port, Is.EqualTo(6881), "its listen port");
            Assert.That(query.ImpliedPort, Is.False);
            Assert.That(query.Seed, Is.False, "seed = 0");
            Assert.That(Text(query.Token), Is.EqualTo("tok1"));
            Assert.That(query.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
        }
    }

    /// <summary>
    /// libtorrent's only <c>ping</c>: the refresh of a node in a full bucket (otherwise its
    /// refreshes, bootstrap included, are <c>get_peers</c>, and it never sends <c>find_node</c>).
    /// </summary>
    [Test]
    public void Libtorrent_ping_query_carries_v_and_a_2_byte_transaction_id()
    {
        var query = DecodeAs<PingQuery>(LtPingQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(NodeId.Parse("1b7324a4137011698a7b70e566f91f820105abef")));
            Assert.That(ToHex(query.TransactionId.Span), Is.EqualTo("fb97"));
            Assert.That(query.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
            Assert.That(query.ReadOnly, Is.False);
        }

        Assert.That(KrpcCodec.Encode(query), Is.EqualTo(Hex(LtPingQuery)));
    }

    // ---- bittorrent-dht replies ------------------------------------------------------------

    [Test]
    public void WebTorrent_ping_reply_has_no_v_and_no_ip()
    {
        var reply = DecodeAs<KrpcResponse>(WtPingReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(reply.TransactionId), Is.EqualTo("aa"));
            Assert.That(reply.Id, Is.EqualTo(WebTorrentId));
            Assert.That(reply.Version.IsEmpty, Is.True);
            Assert.That(reply.ExternalAddress.IsEmpty, Is.True);
            Assert.That(reply.GetExternalEndPoint(), Is.Null);
        }
    }

    [Test]
    public void WebTorrent_find_node_reply_lists_the_querier_itself()
    {
        var reply = DecodeAs<KrpcResponse>(WtFindNodeReply);
        Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
    }

    [Test]
    public void WebTorrent_get_peers_reply_without_peers_has_nodes_and_a_20_byte_token()
    {
        var reply = DecodeAs<KrpcResponse>(WtGetPeersNodesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Token.ToArray(), Is.EqualTo(WebTorrentToken));
            Assert.That(reply.Token.Length, Is.EqualTo(20));
            Assert.That(Nodes(reply), Is.EqualTo(new[] { new NodeInfo(ProbeQuerierId, ProbeQuerier) }));
            Assert.That(reply.Values.IsEmpty, Is.True);
        }
    }

    [Test]
    public void WebTorrent_get_peers_reply_with_peers_has_values_and_no_nodes()
    {
        var reply = DecodeAs<KrpcResponse>(WtGetPeersValuesReply);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Values.ToEndPoints(), Is.EqualTo(new[] { ProbeAnnouncedPeer }));
            Assert.That(reply.Nodes.IsEmpty, Is.True);
            Assert.That(reply.Token.ToArray(), Is.EqualTo(WebTorrentToken));
        }
    }

    [TestCase(WtGetPeersTwoValuesReply, TestName = "bittorrent-dht values after an implied_port announce")]
    [TestCase(WtWantBothReply, TestName = "bittorrent-dht ignores want n4 n6")]
    public void WebTorrent_values_come_in_no_fixed_order(string hex)
    {
        var reply = DecodeAs<KrpcResponse>(hex);
        Assert.That(reply.Values.ToEndPoints(), Is.EquivalentTo(new[] { ProbeAnnouncedPeer, ProbeQuerier }));
        Assert.That(reply.Nodes6.IsEmpty, Is.True);
    }

    [TestCase(WtBadTokenError, "a3", "cannot `announce_peer` with bad token", TestName = "bittorrent-dht bad token error")]
    [TestCase(WtMissingTargetError, "m1", "`find_node` missing required `a.target` field", TestName = "bittorrent-dht find_node without target error")]
    public void WebTorrent_errors_are_plain_203(string hex, string transactionId, string message)
    {
        var error = DecodeAs<KrpcError>(hex);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Code, Is.EqualTo(203));
            Assert.That(error.MessageText, Is.EqualTo(message));
            Assert.That(Text(error.TransactionId), Is.EqualTo(transactionId));
            Assert.That(error.Version.IsEmpty, Is.True);
            Assert.That(error.ExternalAddress.IsEmpty, Is.True);
        }
    }

    // ---- bittorrent-dht queries (what our node receives) -----------------------------------

    [Test]
    public void WebTorrent_ping_query_uses_a_2_byte_counter_as_transaction_id_and_no_v()
    {
        var query = DecodeAs<PingQuery>(WtPingQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(WebTorrentId));
            Assert.That(query.TransactionId.ToArray(), Is.EqualTo(new byte[] { 0, 1 }));
            Assert.That(query.Version.IsEmpty, Is.True);
        }
    }

    [Test]
    public void WebTorrent_announce_peer_always_sends_implied_port()
    {
        var query = DecodeAs<AnnouncePeerQuery>(WtAnnouncePeerQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(WebTorrentId));
            Assert.That(query.InfoHash, Is.EqualTo(ProbeInfoHash2));
            Assert.That(query.Port, Is.EqualTo(4567));
            Assert.That(query.ImpliedPort, Is.False, "implied_port = 0");
            Assert.That(Text(query.Token), Is.EqualTo("tok1"));
            Assert.That(query.TransactionId.ToArray(), Is.EqualTo(new byte[] { 0, 5 }));
        }
    }

    [Test]
    public void WebTorrent_get_peers_query_decodes()
    {
        var query = DecodeAs<GetPeersQuery>(WtGetPeersQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(WebTorrentId));
            Assert.That(query.InfoHash, Is.EqualTo(ProbeInfoHash1));
            Assert.That(query.TransactionId.ToArray(), Is.EqualTo(new byte[] { 0, 7 }));
        }
    }

    [Test]
    public void WebTorrent_find_node_query_has_no_v_and_a_2_byte_counter()
    {
        var query = DecodeAs<FindNodeQuery>(WtFindNodeQuery);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(query.Id, Is.EqualTo(NodeId.Parse("2a8cb41d2627307f05a81420c4760322c26f8d6e")));
            Assert.That(query.Target, Is.EqualTo(ProbeInfoHash1));
            Assert.That(query.TransactionId.ToArray(), Is.EqualTo(new byte[] { 0, 8 }));
            Assert.That(query.Version.IsEmpty, Is.True);
            Assert.That(query.Want, Is.EqualTo(WantFamilies.None));
        }
    }

    // ---- round trips -----------------------------------------------------------------------

    /// <summary>
    /// Messages without keys we do not model re-encode byte for byte: both clients sort keys as
    /// raw bytes, as our writer does.
    /// </summary>
    [TestCaseSource(nameof(ExactRoundTrips))]
    public void Reencodes_byte_for_byte(string hex)
    {
        byte[] original = Hex(hex);
        Assert.That(ToHex(KrpcCodec.Encode(KrpcCodec.Decode(original))), Is.EqualTo(hex));
    }

    /// <summary>Every capture decodes with the lenient entry point too, and as the same message.</summary>
    [TestCaseSource(nameof(AllCaptures))]
    public void TryDecode_accepts_every_capture(string hex)
    {
        Assert.That(KrpcCodec.TryDecode(Hex(hex), out KrpcMessage? message, out KrpcDecodeError error), Is.True, error.ToString());
        Assert.That(message, Is.EqualTo(KrpcCodec.Decode(Hex(hex))));
    }

    private static IEnumerable<TestCaseData> ExactRoundTrips() => Named(
        nameof(WtPingReply), nameof(WtPingTx1Reply), nameof(WtPingTx5Reply), nameof(WtFindNodeReply), nameof(WtGetPeersNodesReply),
        nameof(WtGetPeersValuesReply), nameof(WtGetPeersTwoValuesReply), nameof(WtAnnounceReply), nameof(WtBadTokenError),
        nameof(WtMissingTargetError), nameof(WtPingQuery), nameof(WtGetPeersQuery), nameof(LtGetPeersQuery), nameof(LtMissingArgumentsError),
        nameof(LtPingQuery), nameof(WtFindNodeQuery));

    private static IEnumerable<TestCaseData> AllCaptures() =>
        typeof(RealClientCaptureTests)
            .GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => new TestCaseData((string)f.GetRawConstantValue()!).SetArgDisplayNames(f.Name));

    private static IEnumerable<TestCaseData> Named(params string[] names) =>
        names.Select(name => new TestCaseData((string)typeof(RealClientCaptureTests)
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
}
