#!/usr/bin/env python3
"""IPv6 wire probe: libtorrent 2.0.8 dual-stack on 127.0.0.3 and ::1 (stdlib only).

Starts libtorrent_node.py with --bind 127.0.0.3 --bind ::1, plays minimal DHT nodes on ::1
(raw KRPC, bencode by hand) and on 127.0.0.2, and records byte for byte what libtorrent sends
over IPv6 (its first contact, its announce's get_peers and announce_peer, its lookup, its ping
of a full bucket) and what it answers to queries sent over IPv6 (ping, find_node and get_peers
with and without `want`, announce_peer, errors, sample_infohashes).

    python3 probe_v6.py                 # re-executes itself inside `unshare --net` (needs root)
    python3 probe_v6.py --json v6.json --markdown v6.md
    python3 probe_v6.py --only ping     # only libtorrent's ping over IPv6 (a full bucket)

Every address it uses is ::1 or in 127.0.0.0/8, and it refuses to run anywhere but a
loopback-only network namespace. CAPTURES.md ("libtorrent over IPv6") records one run.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the harness for importing probe.py
import probe  # noqa: E402
from probe import (LT_PYTHON, Harness, Krpc, bdecode, bencode, captures_markdown, check, isolated,
                   query, record, show)

V6 = "::1"
LT_V4_HOST, LT_PORT = "127.0.0.3", 6881
PROBE_V4_HOST = "127.0.0.2"
QUERY_PORT = 7001  # the probe's querier on [::1] (and on 127.0.0.2 for the cross-family queries)
NODE_PORT = 7002  # the probe node libtorrent is given, on [::1] and on 127.0.0.2
HOLDER_PORT = 7003  # a node only reachable through the probe node's nodes6 / nodes
PING_PORT = 6891  # a second libtorrent, IPv6 only, with 8-node buckets, for its ping
FAR_PORT = 7100  # the 20 probe nodes on [::1]:7100-7119 that fill its bucket

CLIENT = "libtorrent over IPv6"
PROBE6_ID = b"probe6-node-id-00001"
PROBE6_NODE_ID = b"probe6-node-id-00002"
PROBE6_HOLDER_ID = b"probe6-node-id-00003"
PROBE4_NODE_ID = b"probe-node-id-000002"
PROBE4_HOLDER_ID = b"probe-node-id-000003"
INFO_HASH = b"infohash-for-probe-1"  # the probe announces it to libtorrent over IPv6
INFO_HASH_FROM_CLIENT = b"infohash-for-probe-2"  # libtorrent announces it to the probe nodes
INFO_HASH_LOOKUP = b"infohash-for-probe-3"  # libtorrent looks it up: the probe node holds a peer
INFO_HASH_FOLLOW = b"infohash-for-probe-4"  # held only by the holders behind nodes6 / nodes
TOKEN = b"tok6"
ANNOUNCE_PORT = 4567


def compact_peer(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.inet_pton(family, host) + port.to_bytes(2, "big")


def parse_compact_peer(b):
    if len(b) == 18:
        return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, b[:16]), int.from_bytes(b[16:], "big"))
    return "%s:%d" % (socket.inet_ntop(socket.AF_INET, b[:4]), int.from_bytes(b[4:6], "big"))


def parse_compact_nodes(b, size):
    return [(b[i:i + 20].hex(), parse_compact_peer(b[i + 20:i + size])) for i in range(0, len(b) - len(b) % size, size)]


def responder(node_id, stored):
    """A minimal, well-behaved node: ping, find_node, get_peers (token; values when `stored`
    holds peers for the hash; an empty `nodes` or `nodes6`, the querier's family or what its
    `want` asks for), announce_peer (stores the peer in the compact form of the querier's
    family)."""
    def respond(msg, addr):
        q = msg.get(b"q")
        a = msg.get(b"a", {})
        r = {b"id": node_id}
        target = a.get(b"info_hash") or a.get(b"target")
        want = a.get(b"want")
        if not isinstance(want, list):
            want = [b"n6" if ":" in addr[0] else b"n4"]
        if q in (b"find_node", b"get_peers"):
            if b"n4" in want:
                r[b"nodes"] = b""
            if b"n6" in want:
                r[b"nodes6"] = b""
        if q == b"get_peers":
            r[b"token"] = TOKEN
            peers = stored.get(target, [])
            if peers:
                r[b"values"] = list(peers)
        elif q == b"announce_peer":
            if a.get(b"token") != TOKEN:
                return bencode({b"t": msg[b"t"], b"y": b"e", b"e": [203, b"bad token"]})
            port = addr[1] if a.get(b"implied_port") == 1 else a.get(b"port")
            stored.setdefault(target, []).append(compact_peer(addr[0], port))
        elif q not in (b"ping", b"find_node", b"get_peers"):
            return bencode({b"t": msg[b"t"], b"y": b"e", b"e": [204, b"Method Unknown"]})
        return bencode({b"t": msg[b"t"], b"y": b"r", b"r": r})
    return respond


def reply_r(m):
    return m[b"r"] if isinstance(m, dict) and isinstance(m.get(b"r"), dict) else {}


def probe_queries(k6, k4, lt_v6, lt_v4, lt_v4_id):
    """Raw KRPC from [::1]:7001 to libtorrent's IPv6 node, plus two from 127.0.0.2:7001 to its
    IPv4 node asking for the other family."""
    print("\n## probe [::1]:%d -> libtorrent [::1]:%d (what it answers over IPv6)" % (QUERY_PORT, lt_v6[1]))

    def ask(label, raw, tid, k=k6, addr=lt_v6, note=""):
        return record(CLIENT, label, raw, k.request(addr, raw, tid), note)

    m = ask("ping", query(b"ping", {b"id": PROBE6_ID}, b"aa"), b"aa")
    check(len(reply_r(m).get(b"id", b"")) == 20, "libtorrent answers ping over IPv6")
    check(isinstance(m, dict) and m.get(b"ip") == compact_peer(V6, QUERY_PORT),
          "its reply's ip is our 18-byte compact address [::1]:%d" % QUERY_PORT)
    check(reply_r(m).get(b"p") == QUERY_PORT, "its reply carries r.p = our port over IPv6 too")

    m = ask("find_node (no want)", query(b"find_node", {b"id": PROBE6_ID, b"target": INFO_HASH}, b"fn"), b"fn")
    r = reply_r(m)
    print("  nodes6: %s" % parse_compact_nodes(r.get(b"nodes6", b""), 38))
    check(b"nodes6" in r and b"nodes" not in r, "find_node over IPv6 without want: nodes6 only")
    check(any(ep == "[::1]:%d" % NODE_PORT for _, ep in parse_compact_nodes(r.get(b"nodes6", b""), 38)),
          "its nodes6 holds the probe node [::1]:%d (38-byte entries)" % NODE_PORT)

    m = ask("find_node want n4", query(b"find_node", {b"id": PROBE6_ID, b"target": INFO_HASH, b"want": [b"n4"]}, b"f4"), b"f4")
    r = reply_r(m)
    print("  nodes: %s" % parse_compact_nodes(r.get(b"nodes", b""), 26))
    check(b"nodes" in r and b"nodes6" not in r, "want n4 over IPv6: nodes only, from its IPv4 table")
    check(any(ep == "%s:%d" % (PROBE_V4_HOST, NODE_PORT) for _, ep in parse_compact_nodes(r.get(b"nodes", b""), 26)),
          "the nodes of want n4 hold the IPv4 probe node")

    m = ask("find_node want n4+n6", query(b"find_node", {b"id": PROBE6_ID, b"target": INFO_HASH, b"want": [b"n4", b"n6"]}, b"f6"), b"f6")
    r = reply_r(m)
    check(b"nodes" in r and b"nodes6" in r, "want n4+n6 over IPv6: nodes and nodes6")

    m = ask("get_peers (no peers stored)", query(b"get_peers", {b"id": PROBE6_ID, b"info_hash": INFO_HASH}, b"g1"), b"g1")
    token = reply_r(m).get(b"token")
    check(token is not None and b"nodes6" in reply_r(m), "get_peers over IPv6: token and nodes6 (%d-byte token)" % len(token or b""))

    m = ask("announce_peer (good token, port %d)" % ANNOUNCE_PORT,
            query(b"announce_peer", {b"id": PROBE6_ID, b"info_hash": INFO_HASH, b"port": ANNOUNCE_PORT,
                                     b"token": token or b"", b"implied_port": 0}, b"a1"), b"a1")
    check(isinstance(m, dict) and m.get(b"y") == b"r", "libtorrent accepts announce_peer over IPv6 with its token")

    m = ask("get_peers (after announce: values)", query(b"get_peers", {b"id": PROBE6_ID, b"info_hash": INFO_HASH}, b"g2"), b"g2")
    values = reply_r(m).get(b"values", [])
    print("  values: %s" % [parse_compact_peer(v) for v in values])
    check(compact_peer(V6, ANNOUNCE_PORT) in values, "values hold the 18-byte peer [::1]:%d" % ANNOUNCE_PORT)

    ask("announce_peer implied_port=1", query(b"announce_peer", {b"id": PROBE6_ID, b"info_hash": INFO_HASH, b"port": 1,
                                                                 b"token": token or b"", b"implied_port": 1}, b"a2"), b"a2")
    m = ask("get_peers want n4+n6 (after implied_port announce)",
            query(b"get_peers", {b"id": PROBE6_ID, b"info_hash": INFO_HASH, b"want": [b"n4", b"n6"]}, b"g3"), b"g3")
    values = reply_r(m).get(b"values", [])
    print("  values: %s" % [parse_compact_peer(v) for v in values])
    check(compact_peer(V6, QUERY_PORT) in values, "implied_port over IPv6 stores [::1]:%d" % QUERY_PORT)

    ask("announce_peer (bad token)", query(b"announce_peer", {b"id": PROBE6_ID, b"info_hash": INFO_HASH, b"port": ANNOUNCE_PORT,
                                                              b"token": b"bad!"}, b"a3"), b"a3")
    ask("unknown method, only id", query(b"frobnicate", {b"id": PROBE6_ID}, b"u1"), b"u1")
    ask("sample_infohashes (BEP 51)", query(b"sample_infohashes", {b"id": PROBE6_ID, b"target": INFO_HASH}, b"s1"), b"s1")

    print("\n## probe %s:%d -> libtorrent %s:%d (the other family, asked over IPv4)" % (PROBE_V4_HOST, QUERY_PORT, lt_v4[0], lt_v4[1]))
    m = ask("over IPv4: find_node want n6", query(b"find_node", {b"id": PROBE6_ID, b"target": INFO_HASH, b"want": [b"n6"]}, b"x6"),
            b"x6", k=k4, addr=lt_v4, note="sent from %s:%d to libtorrent's IPv4 node %s:%d" % (PROBE_V4_HOST, QUERY_PORT, lt_v4[0], lt_v4[1]))
    r = reply_r(m)
    check(r.get(b"id") == bytes.fromhex(lt_v4_id), "its IPv4 node answers with the IPv4 node's id (each family has its own id)")
    check(any(ep == "[::1]:%d" % NODE_PORT for _, ep in parse_compact_nodes(r.get(b"nodes6", b""), 38)),
          "want n6 over IPv4: nodes6 from its IPv6 table")
    m = ask("over IPv4: get_peers for the hash announced over IPv6",
            query(b"get_peers", {b"id": PROBE6_ID, b"info_hash": INFO_HASH}, b"x4"),
            b"x4", k=k4, addr=lt_v4, note="sent from %s:%d to libtorrent's IPv4 node; the peers were announced over IPv6" % (PROBE_V4_HOST, QUERY_PORT))
    check(reply_r(m).get(b"values") == [], "peers announced over IPv6 are not given to an IPv4 querier: "
                                           "its values is an empty list (present, not left out)")


def record_client_queries(node_ks, start, seen):
    """Every query the probe nodes got since `start` (per socket), one capture per (method,
    family, target) not seen yet."""
    for k in node_ks:
        for addr, raw, reply in k.received_queries[start.get(k, 0):]:
            msg = bdecode(raw)
            a = msg.get(b"a", {})
            target = a.get(b"info_hash") or a.get(b"target")
            family = "IPv6" if ":" in addr[0] else "IPv4"
            key = (msg.get(b"q"), family, target)
            if key in seen:
                continue
            seen.add(key)
            if family == "IPv4":
                continue  # the IPv4 queries are in the IPv4 captures already
            label = "client query: %s" % key[0].decode()
            if target is not None:
                names = {INFO_HASH_FROM_CLIENT: "the announced", INFO_HASH_LOOKUP: "the looked-up",
                         INFO_HASH_FOLLOW: "the followed"}
                label += " for %s" % ("%s info-hash" % names[target] if target in names else show(target))
            probe.CAPTURES.append({"client": CLIENT, "label": label, "sent": raw.hex(),
                                   "reply": reply.hex() if reply else None,
                                   "note": "sent from [%s]:%d to the probe node [%s]:%d; reply is the probe's" % (addr + (k.host, k.sock.getsockname()[1]))})
            print("\n### %s %s (from [%s]:%d)" % (CLIENT, label, addr[0], addr[1]))
            print("  raw (%d B) %r" % (len(raw), raw))
            print("  decoded %s" % show(msg))


def probe_client_queries(lt, n6, n4, holder6, holder4, stored6, stored4):
    """What libtorrent sends over IPv6: its first contact (add_node), its announce, its lookup."""
    print("\n## libtorrent -> probe node [::1]:%d (what it sends over IPv6)" % NODE_PORT)
    ks = [n6, n4, holder6, holder4]
    seen = set()
    start = {k: len(k.received_queries) for k in ks}
    r = lt.cmd("add_node", host=V6, port=NODE_PORT, wait=5)
    check(r.get("ok") and r.get("in_table") and r.get("id") == PROBE6_NODE_ID.hex(),
          "libtorrent puts the IPv6 probe node in its routing table after add_node [::1]:%d" % NODE_PORT)
    first = [bdecode(raw) for _, raw, _ in n6.received_queries[start[n6]:]]
    check(bool(first) and first[0].get(b"q") == b"get_peers", "its first contact over IPv6 is a get_peers")
    check(bool(first) and b"want" not in first[0].get(b"a", {}), "its queries over IPv6 carry no want")
    record_client_queries(ks, start, seen)

    r = lt.cmd("routing_table")
    hosts = {(n["host"], n["port"]) for n in r.get("nodes", [])}
    check((V6, NODE_PORT) in hosts and (PROBE_V4_HOST, NODE_PORT) in hosts, "routing_table lists both families' probe nodes")
    r = lt.cmd("routing_table", family="ipv6")
    check([(n["host"], n["port"]) for n in r.get("nodes", [])] == [(V6, NODE_PORT)], "routing_table family ipv6: only the IPv6 node")
    r = lt.cmd("buckets", family="ipv6")
    check(r.get("family") == "ipv6" and sum(b["nodes"] for b in r.get("buckets", [])) == 1, "buckets family ipv6: one live node")

    start = {k: len(k.received_queries) for k in ks}
    r = lt.cmd("announce", info_hash=INFO_HASH_FROM_CLIENT.hex(), port=LT_PORT, timeout=15)
    check(r.get("ok"), "libtorrent announce sent")
    check("[::1]:%d" % NODE_PORT in r.get("announced_to", []) and "%s:%d" % (PROBE_V4_HOST, NODE_PORT) in r.get("announced_to", []),
          "one announce reaches both families' probe nodes (announced_to %s)" % r.get("announced_to"))
    time.sleep(0.3)
    peers6 = [parse_compact_peer(p) for p in stored6.get(INFO_HASH_FROM_CLIENT, [])]
    peers4 = [parse_compact_peer(p) for p in stored4.get(INFO_HASH_FROM_CLIENT, [])]
    check("[::1]:%d" % LT_PORT in peers6, "its announce_peer over IPv6 stored [::1]:%d (stored %s)" % (LT_PORT, peers6))
    check("%s:%d" % (LT_V4_HOST, LT_PORT) in peers4, "and over IPv4 %s:%d (stored %s)" % (LT_V4_HOST, LT_PORT, peers4))
    record_client_queries(ks, start, seen)

    start = {k: len(k.received_queries) for k in ks}
    stored6.setdefault(INFO_HASH_LOOKUP, []).append(compact_peer(V6, 4567))
    r = lt.cmd("get_peers", info_hash=INFO_HASH_LOOKUP.hex(), timeout=10)
    check(not r.get("timed_out") and "[::1]:4567" in r.get("peers", []), "libtorrent's get_peers reads the probe's 18-byte values: [::1]:4567")
    record_client_queries(ks, start, seen)

    # The probe node answers get_peers for INFO_HASH_FOLLOW with nodes6 -> holder6 and
    # nodes -> holder4 (it answers both whatever the want); each holder stores a peer.
    start = {k: len(k.received_queries) for k in ks}
    r = lt.cmd("get_peers", info_hash=INFO_HASH_FOLLOW.hex(), timeout=10)
    asked6 = any(bdecode(raw).get(b"a", {}).get(b"info_hash") == INFO_HASH_FOLLOW for _, raw, _ in holder6.received_queries[start[holder6]:])
    asked4 = any(bdecode(raw).get(b"a", {}).get(b"info_hash") == INFO_HASH_FOLLOW for _, raw, _ in holder4.received_queries[start[holder4]:])
    check(asked6 and "[::1]:5555" in r.get("peers", []), "libtorrent follows the nodes6 of an IPv6 reply (peers %s)" % r.get("peers"))
    check(not asked4, "it ignores the IPv4 nodes of an IPv6 reply (the holder at %s:%d was %sasked)"
          % (PROBE_V4_HOST, HOLDER_PORT, "" if asked4 else "not "))
    record_client_queries(ks, start, seen)


def probe_ping():
    """libtorrent pings only to refresh a node of a full bucket: an IPv6-only libtorrent with
    8-node buckets is given 20 probe nodes on [::1]:7100-7119 in the far half of its id space."""
    print("\n## libtorrent over IPv6 -> a full bucket (its ping)")
    lt = Harness("libtorrent-v6-plain", [LT_PYTHON, "libtorrent_node.py", "--bind", V6, "--port", str(PING_PORT), "--plain-buckets"])
    nodes = []
    try:
        far = bytes([bytes.fromhex(lt.id)[0] ^ 0x80])
        for i in range(20):
            node_id = far + (b"probe6-far-node-%03d" % i)[:19]
            k = Krpc(FAR_PORT + i, node_id, responder(node_id, {}), host=V6)
            nodes.append(k)
            lt.cmd("add_node", host=V6, port=FAR_PORT + i)
        deadline = time.monotonic() + 30
        pinged = None
        while pinged is None and time.monotonic() < deadline:
            time.sleep(0.2)
            pinged = next(((k, q) for k in nodes for q in list(k.received_queries)
                           if bdecode(q[1]).get(b"q") == b"ping"), None)
        check(pinged is not None, "libtorrent pings a node of its full IPv6 bucket")
        if pinged is not None:
            k, (addr, raw, reply) = pinged
            probe.CAPTURES.append({"client": CLIENT, "label": "client query: ping (refresh of a full bucket)",
                                   "sent": raw.hex(), "reply": reply.hex() if reply else None,
                                   "note": "sent from [%s]:%d to the probe node [::1]:%d; reply is the probe's"
                                           % (addr[0], addr[1], k.sock.getsockname()[1])})
            print("  raw (%d B) %r" % (len(raw), raw))
            print("  decoded %s" % show(bdecode(raw)))
    finally:
        rc = lt.quit()
        check(rc == 0, "libtorrent-v6-plain exits cleanly on quit (rc %s)" % rc)
        for k in nodes:
            k.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write every capture (hex) to this file")
    ap.add_argument("--markdown", help="write every capture as markdown to this file")
    ap.add_argument("--only", choices=["queries", "ping"], help="only the exchanges with the dual-stack node, or only the ping")
    args = ap.parse_args()

    if not isolated():
        if os.environ.get("PROBE_IN_NETNS"):
            sys.exit("probe_v6: still not in a loopback-only namespace; refusing to run")
        if not shutil.which("unshare"):
            sys.exit("probe_v6: unshare not found (util-linux)")
        os.environ["PROBE_IN_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "--net", "--", "bash", "-c", 'ip link set lo up && exec "$0" "$@"',
                              sys.executable, os.path.abspath(__file__)] + sys.argv[1:])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    probe.LOG_DIR = os.environ.get("PROBE_LOG_DIR") or "/tmp/interop-probe-logs"
    os.makedirs(probe.LOG_DIR, exist_ok=True)

    stored6, stored4 = {}, {}
    holder6 = Krpc(HOLDER_PORT, PROBE6_HOLDER_ID, responder(PROBE6_HOLDER_ID, {INFO_HASH_FOLLOW: [compact_peer(V6, 5555)]}), host=V6)
    holder4 = Krpc(HOLDER_PORT, PROBE4_HOLDER_ID, responder(PROBE4_HOLDER_ID, {INFO_HASH_FOLLOW: [compact_peer("127.0.0.9", 5556)]}),
                   host=PROBE_V4_HOST)
    n6 = Krpc(NODE_PORT, PROBE6_NODE_ID, responder(PROBE6_NODE_ID, stored6), host=V6)
    n4 = Krpc(NODE_PORT, PROBE4_NODE_ID, responder(PROBE4_NODE_ID, stored4), host=PROBE_V4_HOST)
    k6 = Krpc(QUERY_PORT, PROBE6_ID, responder(PROBE6_ID, {}), host=V6)
    k4 = Krpc(QUERY_PORT, PROBE6_ID, responder(PROBE6_ID, {}), host=PROBE_V4_HOST)
    plain = n6.responder

    def n6_respond(msg, addr):
        # get_peers for INFO_HASH_FOLLOW: nodes6 -> holder6 and nodes -> holder4, whatever the
        # want, to see which of the two libtorrent's IPv6 lookup follows
        a = msg.get(b"a", {})
        if msg.get(b"q") == b"get_peers" and a.get(b"info_hash") == INFO_HASH_FOLLOW:
            return bencode({b"t": msg[b"t"], b"y": b"r", b"r": {
                b"id": PROBE6_NODE_ID, b"token": TOKEN,
                b"nodes": PROBE4_HOLDER_ID + compact_peer(PROBE_V4_HOST, HOLDER_PORT),
                b"nodes6": PROBE6_HOLDER_ID + compact_peer(V6, HOLDER_PORT)}})
        return plain(msg, addr)
    n6.responder = n6_respond

    lt = None
    try:
        if args.only in (None, "queries"):
            t0 = time.monotonic()
            lt = Harness("libtorrent-dual", [LT_PYTHON, "libtorrent_node.py", "--bind", LT_V4_HOST, "--bind", V6, "--port", str(LT_PORT)])
            print("# libtorrent dual-stack ready %.2f s: %s" % (time.monotonic() - t0, json.dumps(lt.ready)))
            sockets = {s["family"]: s for s in lt.ready.get("sockets", [])}
            check(set(sockets) == {"ipv4", "ipv6"} and sockets["ipv4"]["id"] != sockets["ipv6"]["id"],
                  "libtorrent runs one DHT node per family, each with its own id")
            r = lt.cmd("add_node", host=PROBE_V4_HOST, port=NODE_PORT, wait=5)
            check(r.get("in_table"), "its IPv4 node takes the IPv4 probe node")
            # before anything is announced, so that the IPv6 node's table holds the probe node
            probe_client_queries(lt, n6, n4, holder6, holder4, stored6, stored4)
            probe_queries(k6, k4, (V6, sockets["ipv6"]["port"]), (LT_V4_HOST, sockets["ipv4"]["port"]), sockets["ipv4"]["id"])
        if args.only in (None, "ping"):
            probe_ping()
    finally:
        if lt is not None:
            rc = lt.quit()
            check(rc == 0, "libtorrent-dual exits cleanly on quit (rc %s)" % rc)
        for k in (k6, k4, n6, n4, holder6, holder4):
            k.close()
        # grouped like the IPv4 captures: its answers first, then what it sent
        probe.CAPTURES.sort(key=lambda c: c["label"].startswith("client query"))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(probe.CAPTURES, f, indent=1)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(captures_markdown())
    print("\n%d passed, %d failed" % (len(probe.PASSED), len(probe.FAILURES)))
    for f in probe.FAILURES:
        print("  FAILED: " + f)
    return 1 if probe.FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
