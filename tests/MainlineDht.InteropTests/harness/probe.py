#!/usr/bin/env python3
"""Wire probe for the interop harnesses (stdlib only).

Starts libtorrent_node.py and webtorrent_node.mjs, talks raw KRPC to each from 127.0.0.2 and
prints every reply byte for byte; then drives the JSON protocol, and checks that a libtorrent
node and a bittorrent-dht node find each other's announced peers.

    python3 probe.py                 # re-executes itself inside `unshare --net` (needs root)
    python3 probe.py --json out.json # also dump every capture as JSON (hex bytes)

It refuses to run anywhere but a loopback-only network namespace: every address it uses is in
127.0.0.0/8. CAPTURES.md beside this file records what one run printed.
"""

import argparse
import hashlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LT_PYTHON = "/usr/bin/python3"  # Debian's python3-libtorrent lives there, not in pyenv

PROBE_HOST = "127.0.0.2"
PROBE_QUERY_PORT = 7001     # the socket the probe sends its own queries from
PROBE_NODE_PORT = 7002      # the socket the probe answers the clients' queries on
LT_HOST, LT_PORT = "127.0.0.3", 6881
WT_HOST = "127.0.0.4"
LT_PING_HOST = "127.0.0.5"  # a second libtorrent, with 8-node buckets, for its ping
PROBE_FAR_PORT = 7100       # the 20 probe nodes on 127.0.1.1-20 that fill its bucket

PROBE_ID = b"probe-node-id-000001"          # 20 bytes, readable in captures
PROBE_NODE_ID = b"probe-node-id-000002"
INFO_HASH = b"infohash-for-probe-1"          # what the probe announces itself
INFO_HASH_FROM_CLIENT = b"infohash-for-probe-2"  # what the clients announce to the probe
CROSS_INFO_HASH_LT = hashlib.sha1(b"announced by libtorrent").digest()
CROSS_INFO_HASH_WT = hashlib.sha1(b"announced by bittorrent-dht").digest()
PROBE_TOKEN = b"tok1"
ANNOUNCE_PORT = 4567


# --- bencode --------------------------------------------------------------------------------

def bencode(v):
    if isinstance(v, bool):
        raise TypeError("bool")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        return b"%d:%s" % (len(v), bytes(v))
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted(((k.encode() if isinstance(k, str) else k), x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdecode(data):
    def dec(i):
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            out = []
            while data[i:i + 1] != b"e":
                x, i = dec(i)
                out.append(x)
            return out, i + 1
        if c == b"d":
            i += 1
            out = {}
            while data[i:i + 1] != b"e":
                k, i = dec(i)
                x, i = dec(i)
                out[k] = x
            return out, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            return data[j + 1:j + 1 + n], j + 1 + n
        raise ValueError("bad bencode at %d" % i)
    v, end = dec(0)
    if end != len(data):
        raise ValueError("trailing bytes")
    return v


def compact_peer(host, port):
    return socket.inet_aton(host) + port.to_bytes(2, "big")


def parse_compact_peer(b):
    return "%s:%d" % (socket.inet_ntoa(b[:4]), int.from_bytes(b[4:6], "big"))


def parse_compact_nodes(b):
    return [(b[i:i + 20].hex(), parse_compact_peer(b[i + 20:i + 26])) for i in range(0, len(b) - len(b) % 26, 26)]


def show(v, depth=0):
    """Readable form of a decoded message: bytes that are printable stay text."""
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (show(k), show(x, depth + 1)) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(show(x, depth + 1) for x in v) + "]"
    if isinstance(v, bytes):
        if all(32 <= c < 127 for c in v):
            return repr(v.decode())
        return "0x" + v.hex()
    return repr(v)


# --- KRPC endpoint --------------------------------------------------------------------------

class Krpc:
    """One UDP socket on 127.0.0.2 (or on ::1: probe_v6.py). Queries we receive are answered by `responder` and
    recorded; responses are handed to whoever waits on their transaction id."""

    def __init__(self, port, node_id, responder=None, host=PROBE_HOST):
        self.host = host
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.node_id = node_id
        self.responder = responder
        self.waiting = {}
        self.lock = threading.Lock()
        self.received_queries = []   # (addr, raw bytes, reply bytes or None)
        self.stray = []
        self.closed = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            addr = addr[:2]  # an IPv6 socket adds flowinfo and scope id
            try:
                msg = bdecode(data)
            except ValueError:
                self.stray.append((addr, data))
                continue
            y = msg.get(b"y") if isinstance(msg, dict) else None
            if y == b"q":
                reply = self.responder(msg, addr) if self.responder else None
                if reply is not None:
                    self.sock.sendto(reply, addr)
                self.received_queries.append((addr, data, reply))
                continue
            t = msg.get(b"t") if isinstance(msg, dict) else None
            with self.lock:
                q = self.waiting.get((t, addr))
            if q is not None:
                q.put(data)
            else:
                self.stray.append((addr, data))

    def request(self, addr, raw, tid, timeout=3.0):
        """Send raw bytes; return the raw reply (or None after timeout)."""
        q = queue.Queue()
        with self.lock:
            self.waiting[(tid, addr)] = q
        try:
            self.sock.sendto(raw, addr)
            return q.get(timeout=timeout)
        except queue.Empty:
            return None
        finally:
            with self.lock:
                self.waiting.pop((tid, addr), None)

    def close(self):
        self.closed = True
        self.sock.close()


def probe_node_responder(stored, node_id):
    """Minimal, well-behaved node answering the clients: ping, find_node, get_peers (token,
    and values when `stored` has peers for the hash), announce_peer (stores the peer)."""
    def respond(msg, addr):
        q = msg.get(b"q")
        a = msg.get(b"a", {})
        r = {b"id": node_id}
        if q == b"find_node":
            r[b"nodes"] = b""
        elif q == b"get_peers":
            r[b"token"] = PROBE_TOKEN
            peers = stored.get(a.get(b"info_hash"), [])
            if peers:
                r[b"values"] = list(peers)
            else:
                r[b"nodes"] = b""
        elif q == b"announce_peer":
            if a.get(b"token") != PROBE_TOKEN:
                return bencode({b"t": msg[b"t"], b"y": b"e", b"e": [203, b"bad token"]})
            port = addr[1] if a.get(b"implied_port") == 1 else a.get(b"port")
            stored.setdefault(a.get(b"info_hash"), []).append(compact_peer(addr[0], port))
        elif q != b"ping":
            return bencode({b"t": msg[b"t"], b"y": b"e", b"e": [204, b"Method Unknown"]})
        return bencode({b"t": msg[b"t"], b"y": b"r", b"r": r})
    return respond


# --- harness process ------------------------------------------------------------------------

class Harness:
    def __init__(self, name, argv):
        self.name = name
        self.proc = subprocess.Popen(argv, cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(LOG_DIR, name + ".stderr.log"), "w"),
                                     text=True, bufsize=1)
        self.lines = queue.Queue()
        self.replies = {}
        self.cond = threading.Condition()
        self.seq = 0
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.lines.get(timeout=30)
        if ready.get("event") != "ready":
            raise RuntimeError("%s did not start: %r" % (name, ready))
        self.ready = ready
        self.port = ready["port"]
        self.id = ready["id"]

    def _read(self):
        for line in self.proc.stdout:
            obj = json.loads(line)  # every stdout line must be JSON: a bad one fails the probe
            if "seq" in obj:
                with self.cond:
                    self.replies[obj["seq"]] = obj
                    self.cond.notify_all()
            else:
                self.lines.put(obj)

    def cmd(self, name, timeout=30, **kw):
        self.seq += 1
        seq = self.seq
        line = json.dumps(dict({"seq": seq, "cmd": name}, **kw))
        started = time.monotonic()
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        with self.cond:
            if not self.cond.wait_for(lambda: seq in self.replies, timeout):
                raise RuntimeError("%s: no reply to %s" % (self.name, line))
            reply = self.replies.pop(seq)
        print("  %-9s %s\n  %-9s %s   (%.2f s)" % (self.name + " <", line, "", json.dumps(reply),
                                                  time.monotonic() - started))
        return reply

    def quit(self):
        try:
            self.cmd("quit", timeout=10)
        except Exception as e:  # noqa: BLE001 - report and fall through to kill
            print("  quit failed: %s" % e)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.proc.returncode


# --- the probe ------------------------------------------------------------------------------

CAPTURES = []
FAILURES = []
PASSED = []


def record(client, label, sent, reply, note=""):
    CAPTURES.append({"client": client, "label": label, "sent": sent.hex() if sent else None,
                     "reply": reply.hex() if reply is not None else None, "note": note})
    print("\n### %s: %s" % (client, label))
    if sent is not None:
        print("  sent  (%d B) %r" % (len(sent), sent))
    if reply is None:
        print("  reply: none (timed out)")
        return None
    print("  reply (%d B) %r" % (len(reply), reply))
    print("  hex   %s" % reply.hex())
    try:
        msg = bdecode(reply)
        print("  decoded %s" % show(msg))
        return msg
    except ValueError as e:
        print("  (not bencode: %s)" % e)
        return None


def check(cond, what):
    print("  CHECK %s: %s" % ("ok  " if cond else "FAIL", what))
    (PASSED if cond else FAILURES).append(what)


def query(name, args, tid):
    return bencode({b"t": tid, b"y": b"q", b"q": name, b"a": args})


def probe_queries(client, k, addr):
    """Raw KRPC queries from 127.0.0.2:7001 to one client."""
    def ask(label, raw, tid, note=""):
        return record(client, label, raw, k.request(addr, raw, tid), note)

    m = ask("ping", query(b"ping", {b"id": PROBE_ID}, b"aa"), b"aa")
    check(m is not None and m.get(b"y") == b"r" and len(m[b"r"][b"id"]) == 20, "%s answers ping" % client)
    ask("ping, 5-byte transaction id", query(b"ping", {b"id": PROBE_ID}, b"\x00\x01\xfe\xff\x80"), b"\x00\x01\xfe\xff\x80")
    ask("ping, 1-byte transaction id", query(b"ping", {b"id": PROBE_ID}, b"x"), b"x")
    m = ask("find_node", query(b"find_node", {b"id": PROBE_ID, b"target": INFO_HASH}, b"fn"), b"fn")
    if m and b"r" in m and b"nodes" in m[b"r"]:
        print("  nodes: %s" % parse_compact_nodes(m[b"r"][b"nodes"]))
    m = ask("get_peers (no peers stored)", query(b"get_peers", {b"id": PROBE_ID, b"info_hash": INFO_HASH}, b"g1"), b"g1")
    token = m[b"r"].get(b"token") if m and b"r" in m else None
    check(token is not None, "%s returns a token (%d bytes)" % (client, len(token or b"")))
    m = ask("announce_peer (good token, port %d)" % ANNOUNCE_PORT,
            query(b"announce_peer", {b"id": PROBE_ID, b"info_hash": INFO_HASH, b"port": ANNOUNCE_PORT,
                                     b"token": token or b"", b"implied_port": 0}, b"a1"), b"a1")
    check(m is not None and m.get(b"y") == b"r", "%s accepts announce_peer with its token" % client)
    m = ask("get_peers (after announce: values)", query(b"get_peers", {b"id": PROBE_ID, b"info_hash": INFO_HASH}, b"g2"), b"g2")
    values = m[b"r"].get(b"values", []) if m and b"r" in m else []
    peers = [parse_compact_peer(v) for v in values]
    print("  values: %s" % peers)
    check("%s:%d" % (PROBE_HOST, ANNOUNCE_PORT) in peers, "%s returns the announced peer in values" % client)
    ask("announce_peer implied_port=1", query(b"announce_peer", {b"id": PROBE_ID, b"info_hash": INFO_HASH, b"port": 1,
                                                                 b"token": token or b"", b"implied_port": 1}, b"a2"), b"a2")
    m = ask("get_peers (after implied_port announce)", query(b"get_peers", {b"id": PROBE_ID, b"info_hash": INFO_HASH}, b"g3"), b"g3")
    if m and b"r" in m:
        print("  values: %s" % [parse_compact_peer(v) for v in m[b"r"].get(b"values", [])])
    ask("announce_peer (bad token)", query(b"announce_peer", {b"id": PROBE_ID, b"info_hash": INFO_HASH, b"port": ANNOUNCE_PORT,
                                                              b"token": b"bad!"}, b"a3"), b"a3")
    ask("unknown method, only id", query(b"frobnicate", {b"id": PROBE_ID}, b"u1"), b"u1")
    ask("unknown method with target", query(b"frobnicate", {b"id": PROBE_ID, b"target": INFO_HASH}, b"u2"), b"u2")
    ask("unknown method with info_hash", query(b"frobnicate", {b"id": PROBE_ID, b"info_hash": INFO_HASH}, b"u3"), b"u3")
    ask("find_node without target", query(b"find_node", {b"id": PROBE_ID}, b"m1"), b"m1")
    ask("query without a", bencode({b"t": b"m2", b"y": b"q", b"q": b"ping"}), b"m2")
    ask("sample_infohashes (BEP 51)", query(b"sample_infohashes", {b"id": PROBE_ID, b"target": INFO_HASH}, b"s1"), b"s1")
    ask("get_peers want n4+n6 (BEP 32)", query(b"get_peers", {b"id": PROBE_ID, b"info_hash": INFO_HASH,
                                                              b"want": [b"n4", b"n6"]}, b"w1"), b"w1")
    # not bencode at all: nothing can be matched to a transaction; wait and look for strays
    raw = b"this is not bencode"
    before = len(k.stray)
    k.sock.sendto(raw, addr)
    time.sleep(1.0)
    strays = k.stray[before:]
    record(client, "datagram that is not bencode", raw, strays[0][1] if strays else None,
           "reply arrives with no transaction to match" if strays else "")


def probe_client_queries(client, h, node_k, stored):
    """The client queries us: add_node(probe) -> its first contact; announce -> get_peers +
    announce_peer to us; get_peers -> it reads our values."""
    print("\n## %s -> probe node %s:%d (what the client sends)" % (client, PROBE_HOST, PROBE_NODE_PORT))
    start = len(node_k.received_queries)
    r = h.cmd("add_node", host=PROBE_HOST, port=PROBE_NODE_PORT, wait=5)
    check(r.get("ok") and r.get("in_table"), "%s puts the probe node in its routing table after add_node" % client)
    r = h.cmd("routing_table")
    check(any(n["host"] == PROBE_HOST and n["port"] == PROBE_NODE_PORT and n["id"] == PROBE_NODE_ID.hex()
              for n in r.get("nodes", [])), "%s routing_table lists the probe node with its id" % client)
    ann_port = LT_PORT if client == "libtorrent" else ANNOUNCE_PORT
    r = h.cmd("announce", info_hash=INFO_HASH_FROM_CLIENT.hex(), port=ann_port, timeout=15)
    check(r.get("ok") and r.get("announced_port") == ann_port, "%s announce reports port %d" % (client, ann_port))
    time.sleep(0.3)
    stored_peers = [parse_compact_peer(p) for p in stored.get(INFO_HASH_FROM_CLIENT, [])]
    check(any(p.endswith(":%d" % ann_port) for p in stored_peers),
          "%s's announce_peer reached the probe with port %d (stored %s)" % (client, ann_port, stored_peers))
    stored.setdefault(INFO_HASH, []).append(compact_peer("127.0.0.9", 4567))
    r = h.cmd("get_peers", info_hash=INFO_HASH.hex(), timeout=10)
    check("127.0.0.9:4567" in r.get("peers", []), "%s get_peers reads the probe's values" % client)
    if client == "bittorrent-dht":
        # libtorrent 2.0.8 never sends find_node; bittorrent-dht does (while bootstrapping, and
        # here through the harness's find_node command).
        r = h.cmd("find_node", host=PROBE_HOST, port=PROBE_NODE_PORT, target=INFO_HASH.hex(), timeout=10)
        check(r.get("ok") and r.get("id") == PROBE_NODE_ID.hex(), "%s find_node reaches the probe node" % client)
    seen = set()
    for addr, raw, reply in node_k.received_queries[start:]:
        msg = bdecode(raw)
        a = msg.get(b"a", {})
        target = a.get(b"info_hash") or a.get(b"target")
        key = (msg.get(b"q"), target)
        if key in seen:
            continue
        seen.add(key)
        label = "client query: %s" % key[0].decode()
        if target is not None:
            label += " for %s" % (show(target) if target not in (INFO_HASH, INFO_HASH_FROM_CLIENT)
                                  else "the %s info-hash" % ("announced" if target == INFO_HASH_FROM_CLIENT else "looked-up"))
        CAPTURES.append({"client": client, "label": label, "sent": raw.hex(),
                         "reply": reply.hex() if reply else None,
                         "note": "sent from %s:%d to the probe node; reply is the probe's" % addr})
        print("\n### %s %s (from %s:%d)" % (client, label, addr[0], addr[1]))
        print("  raw (%d B) %r" % (len(raw), raw))
        print("  hex %s" % raw.hex())
        print("  decoded %s" % show(msg))


def probe_libtorrent_ping():
    """libtorrent sends `ping` only to refresh a node whose bucket is full (8 live + 8
    replacements): a libtorrent with 8-node buckets (--plain-buckets) is given 20 probe nodes
    whose ids lie in the half of the id space away from its own; they all land in its bucket 0,
    and its tick (every 5 s) pings one of them."""
    print("\n## libtorrent -> a full bucket (its ping)")
    lt = Harness("libtorrent-plain", [LT_PYTHON, "libtorrent_node.py", "--bind", LT_PING_HOST, "--port", "0", "--plain-buckets"])
    nodes = []
    try:
        far = bytes([bytes.fromhex(lt.id)[0] ^ 0x80])
        for i in range(20):
            node_id = far + (b"probe-far-node-%04d" % i)[:19]
            k = Krpc(PROBE_FAR_PORT, node_id, probe_node_responder({}, node_id), host="127.0.1.%d" % (i + 1))
            nodes.append(k)
            lt.cmd("add_node", host=k.host, port=PROBE_FAR_PORT)
        deadline = time.monotonic() + 30
        pinged = None
        while pinged is None and time.monotonic() < deadline:
            time.sleep(0.2)
            pinged = next(((k, q) for k in nodes for q in list(k.received_queries)
                           if bdecode(q[1]).get(b"q") == b"ping"), None)
        check(pinged is not None, "libtorrent pings a node of its full bucket")
        if pinged is not None:
            k, (addr, raw, reply) = pinged
            CAPTURES.append({"client": "libtorrent", "label": "client query: ping (refresh of a full bucket)",
                             "sent": raw.hex(), "reply": reply.hex() if reply else None,
                             "note": "sent from %s:%d to the probe node %s:%d; reply is the probe's" % (addr + (k.host, PROBE_FAR_PORT))})
            print("  raw (%d B) %r" % (len(raw), raw))
            print("  hex %s" % raw.hex())
            print("  decoded %s" % show(bdecode(raw)))
    finally:
        rc = lt.quit()
        check(rc == 0, "libtorrent-plain exits cleanly on quit (rc %s)" % rc)
        for k in nodes:
            k.close()


def cross_check(lt, wt):
    print("\n## libtorrent <-> bittorrent-dht")
    r1 = lt.cmd("add_node", host=WT_HOST, port=wt.port, wait=10)
    r2 = wt.cmd("add_node", host=LT_HOST, port=lt.port, wait=10)
    check(r1.get("in_table"), "libtorrent adds the bittorrent-dht node")
    check(r2.get("in_table"), "bittorrent-dht adds the libtorrent node")
    t_lt = {n["id"] for n in lt.cmd("routing_table")["nodes"]}
    t_wt = {n["id"] for n in wt.cmd("routing_table")["nodes"]}
    check(wt.id in t_lt, "libtorrent's table holds bittorrent-dht's id")
    check(lt.id in t_wt, "bittorrent-dht's table holds libtorrent's id")
    r = lt.cmd("announce", info_hash=CROSS_INFO_HASH_LT.hex(), port=lt.port, timeout=15)
    check(r.get("ok"), "libtorrent announce sent")
    r = wt.cmd("get_peers", info_hash=CROSS_INFO_HASH_LT.hex(), timeout=10)
    check("%s:%d" % (LT_HOST, lt.port) in r.get("peers", []), "bittorrent-dht finds libtorrent's announced peer")
    r = wt.cmd("announce", info_hash=CROSS_INFO_HASH_WT.hex(), port=ANNOUNCE_PORT, timeout=15)
    check(r.get("ok"), "bittorrent-dht announce sent")
    r = lt.cmd("get_peers", info_hash=CROSS_INFO_HASH_WT.hex(), timeout=10)
    check("%s:%d" % (WT_HOST, ANNOUNCE_PORT) in r.get("peers", []), "libtorrent finds bittorrent-dht's announced peer")


def bytes_literal(b):
    """C#-friendly rendering: printable ASCII as is, everything else as \\xNN (and the
    backslash and backtick too, so it sits safely in a markdown code span)."""
    return "".join(chr(c) if 32 <= c < 127 and c not in (0x5c, 0x60) else "\\x%02x" % c for c in b)


def captures_markdown():
    out = []
    client = None
    for c in CAPTURES:
        if c["client"] != client:
            client = c["client"]
            out += ["", "## %s" % client]
        out += ["", "### %s" % c["label"], ""]
        if c["note"]:
            out += ["_%s_" % c["note"], ""]
        for key in ("sent", "reply"):
            raw = bytes.fromhex(c[key]) if c[key] is not None else None
            if raw is None:
                out.append("- %s: **none** (nothing came back within the wait)" % key)
                continue
            out.append("- %s, %d bytes:" % (key, len(raw)))
            out.append("  - hex `%s`" % raw.hex())
            out.append("  - bytes `%s`" % bytes_literal(raw))
            try:
                out.append("  - decoded `` %s ``" % show(bdecode(raw)))
            except ValueError:
                out.append("  - (not bencode)")
    return "\n".join(out) + "\n"


def isolated():
    """True when this process's network namespace has no interface but lo."""
    with open("/proc/self/net/dev") as f:
        names = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    return names == ["lo"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write every capture (hex) to this file")
    ap.add_argument("--markdown", help="write every capture as markdown to this file")
    ap.add_argument("--render", metavar="JSON", help="only turn a --json capture file into --markdown")
    ap.add_argument("--only", choices=["libtorrent", "webtorrent", "libtorrent-ping"],
                    help="probe one client (libtorrent-ping: only libtorrent's ping to a full bucket)")
    args = ap.parse_args()

    if args.render:
        with open(args.render) as f:
            CAPTURES.extend(json.load(f))
        with open(args.markdown or "/dev/stdout", "w") as f:
            f.write(captures_markdown())
        return 0

    if not isolated():
        if os.environ.get("PROBE_IN_NETNS"):
            sys.exit("probe: still not in a loopback-only namespace; refusing to run")
        if not shutil.which("unshare"):
            sys.exit("probe: unshare not found (util-linux)")
        os.environ["PROBE_IN_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "--net", "--", "bash", "-c", 'ip link set lo up && exec "$0" "$@"',
                              sys.executable, os.path.abspath(__file__)] + sys.argv[1:])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    global LOG_DIR
    LOG_DIR = os.environ.get("PROBE_LOG_DIR") or "/tmp/interop-probe-logs"
    os.makedirs(LOG_DIR, exist_ok=True)

    stored = {}
    # Both probe sockets answer queries: a silent node in a client's table makes its lookups
    # wait for the client's RPC timeout (libtorrent: ~15 s before it sends announce_peer).
    k = Krpc(PROBE_QUERY_PORT, PROBE_ID, probe_node_responder(stored, PROBE_ID))
    node_k = Krpc(PROBE_NODE_PORT, PROBE_NODE_ID, probe_node_responder(stored, PROBE_NODE_ID))
    harnesses = {}
    try:
        if args.only in (None, "libtorrent"):
            t0 = time.monotonic()
            lt = Harness("libtorrent", [LT_PYTHON, "libtorrent_node.py", "--bind", LT_HOST, "--port", str(LT_PORT)])
            print("# libtorrent ready %.2f s: %s" % (time.monotonic() - t0, json.dumps(lt.ready)))
            harnesses["libtorrent"] = lt
            probe_queries("libtorrent", k, (LT_HOST, lt.port))
            probe_client_queries("libtorrent", lt, node_k, stored)
        if args.only in (None, "webtorrent"):
            t0 = time.monotonic()
            wt = Harness("webtorrent", ["node", "webtorrent_node.mjs", "--bind", WT_HOST, "--port", "0"])
            print("# webtorrent ready %.2f s: %s" % (time.monotonic() - t0, json.dumps(wt.ready)))
            harnesses["webtorrent"] = wt
            stored.clear()
            probe_queries("bittorrent-dht", k, (WT_HOST, wt.port))
            probe_client_queries("bittorrent-dht", wt, node_k, stored)
        if len(harnesses) == 2:
            cross_check(harnesses["libtorrent"], harnesses["webtorrent"])
        if args.only in (None, "libtorrent-ping"):
            probe_libtorrent_ping()
    finally:
        for name, h in harnesses.items():
            rc = h.quit()
            check(rc == 0, "%s exits cleanly on quit (rc %s)" % (name, rc))
        k.close()
        node_k.close()
        if args.json:
            with open(args.json, "w") as f:
                json.dump(CAPTURES, f, indent=1)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(captures_markdown())
    print("\n%d passed, %d failed" % (len(PASSED), len(FAILURES)))
    for f in FAILURES:
        print("  FAILED: " + f)
    return 1 if FAILURES else 0


LOG_DIR = None

if __name__ == "__main__":
    sys.exit(main())
