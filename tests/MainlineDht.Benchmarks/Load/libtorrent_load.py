#!/usr/bin/python3
"""libtorrent 2.0.8 as the load benchmark's reference DHT node: one session on a loopback address
with its DHT rate limits off (dht_block_ratelimit, dht_upload_rate_limit) and the loopback
restrictions lifted, as the interop harness does (tests/MainlineDht.InteropTests/harness). Prints
"ready <port> <node-id-hex>" once its DHT listens; then each stdin line "add <address> <port>" adds a
node to its DHT (libtorrent pings it and takes it in once it answers); it runs until stdin closes.

    /usr/bin/python3 libtorrent_load.py 127.0.0.20 6881
"""

import ipaddress
import re
import sys
import time

import libtorrent as lt

address, port = sys.argv[1], int(sys.argv[2])
if not ipaddress.ip_address(address).is_loopback:
    sys.exit("libtorrent_load: loopback addresses only")

cat = lt.alert.category_t
params = lt.session_params()
params.settings = {
    "enable_dht": True,
    "dht_bootstrap_nodes": "",
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_ip_notifier": False,
    "listen_interfaces": "%s:%d" % (address, port),
    "outgoing_interfaces": address,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "listen_system_port_fallback": False,
    "max_retry_port_bind": 0,
    # A loopback DHT: one node per IP and the "dark internet" filter work against 127.x nodes.
    "dht_restrict_routing_ips": False,
    "dht_restrict_search_ips": False,
    "dht_enforce_node_id": False,
    "dht_prefer_verified_node_ids": False,
    "dht_ignore_dark_internet": False,
    # Its limits off: the per-IP block and the byte budget of its replies.
    "dht_block_ratelimit": 1_000_000_000,
    "dht_upload_rate_limit": 1_000_000_000,
    "alert_mask": cat.error_notification | cat.status_notification | cat.dht_log_notification,
    "alert_queue_size": 10000,
}
f = lt.ip_filter()
f.add_rule("0.0.0.0", "255.255.255.255", 1)
f.add_rule("127.0.0.0", "127.255.255.255", 0)
params.ip_filter = f
ses = lt.session(params)

starting = re.compile(r"starting \S+ DHT tracker with node id: ([0-9a-f]{40})")
node_id = None
udp = False
deadline = time.monotonic() + 15
while (node_id is None or not udp) and time.monotonic() < deadline:
    ses.wait_for_alert(100)
    for a in ses.pop_alerts():
        if isinstance(a, lt.listen_failed_alert):
            sys.exit("libtorrent_load: " + a.message())
        if isinstance(a, lt.listen_succeeded_alert) and a.socket_type in (lt.socket_type_t.utp, lt.socket_type_t.udp):
            udp = a.port == port
        if isinstance(a, lt.dht_log_alert):
            m = starting.search(a.message())
            if m:
                node_id = m.group(1)
if node_id is None or not udp:
    sys.exit("libtorrent_load: the DHT did not start")

# From now on only errors: the DHT log would cost libtorrent time under load.
ses.apply_settings({"alert_mask": cat.error_notification})
ses.pop_alerts()
print("ready %d %s" % (port, node_id), flush=True)
for line in sys.stdin:
    words = line.split()
    if len(words) == 3 and words[0] == "add" and ipaddress.ip_address(words[1]).is_loopback:
        ses.add_dht_node((words[1], int(words[2])))
    ses.pop_alerts()
