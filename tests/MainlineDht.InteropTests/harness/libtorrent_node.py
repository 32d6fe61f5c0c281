#!/usr/bin/python3
"""One libtorrent-rasterbar 2.0.8 DHT node, driven over a line-oriented JSON protocol.

Run it with Debian's /usr/bin/python3 (package python3-libtorrent), inside a loopback-only
network namespace:

    unshare --net -- bash -c 'ip link set lo up && exec /usr/bin/python3 libtorrent_node.py --bind 127.0.0.3 --port 0'

Dual-stack (one DHT node per family, as libtorrent runs one per listen socket): --bind twice,
e.g. --bind 127.0.0.3 --bind ::1.

stdout carries only protocol lines (one JSON object each); everything else goes to stderr.
See README.md beside this file for the protocol and the quirks.
"""

import argparse
import ipaddress
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings

import libtorrent as lt

CLIENT = "libtorrent " + lt.__version__
DEFAULT_TIMEOUT = 10.0
ANNOUNCE_TIMEOUT = 30.0  # the traversal waits for its slowest node (libtorrent's RPC timeout)
LIVE_NODES_POLL = 0.2  # seconds between dht_live_nodes requests while waiting for a node

_stdout_lock = threading.Lock()


def emit(obj):
    line = json.dumps(obj, separators=(",", ":"))
    with _stdout_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def log(msg):
    sys.stderr.write("[libtorrent_node] %s\n" % msg)
    sys.stderr.flush()


class CommandError(Exception):
    pass


def loopback_address(text, what):
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise CommandError("%s %r is not an IP address" % (what, text))
    if not addr.is_loopback:
        # Network safety: this harness only ever talks to 127.0.0.0/8 and ::1.
        raise CommandError("%s %s is not a loopback address (only 127.0.0.0/8 and ::1 allowed)" % (what, text))
    return addr


def port_arg(value, what, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError("%s must be an integer" % what)
    if not ((0 if allow_zero else 1) <= value <= 65535):
        raise CommandError("%s %d out of range" % (what, value))
    return value


def info_hash_arg(cmd):
    text = cmd.get("info_hash")
    if not isinstance(text, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", text):
        raise CommandError("info_hash must be 40 hex digits")
    return text.lower()


def timeout_arg(cmd, default=DEFAULT_TIMEOUT):
    value = cmd.get("timeout", default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value > 600:
        raise CommandError("timeout must be a number of seconds in [0, 600]")
    return float(value)


def family_of(addr):
    """"ipv4" or "ipv6": the name the protocol uses for an address family."""
    return "ipv6" if ipaddress.ip_address(str(addr)).version == 6 else "ipv4"


def family_arg(cmd, node):
    value = cmd.get("family")
    if value is None:
        return None
    if value not in ("ipv4", "ipv6"):
        raise CommandError('family must be "ipv4" or "ipv6"')
    if value not in node.sockets:
        raise CommandError("no %s DHT node here (start the harness with a --bind of that family)" % value)
    return value


def endpoint_text(host, port):
    host = str(host)
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def only_loopback_interfaces():
    """True when this process's network namespace has no interface but lo."""
    try:
        with open("/proc/self/net/dev") as f:
            names = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    except OSError:
        return False
    return names == ["lo"]


def make_settings(binds, port, plain_buckets=False):
    """binds: the loopback addresses to listen on, at most one per family. libtorrent opens one
    TCP and one UDP socket on each and runs one DHT node per UDP socket."""
    if not isinstance(binds, (list, tuple)):
        binds = [binds]
    listen = ",".join(endpoint_text(b, port) for b in binds)
    outgoing = ",".join(str(b) for b in binds)
    cat = lt.alert.category_t
    mask = (cat.error_notification | cat.status_notification | cat.dht_notification
            | cat.dht_operation_notification | cat.dht_log_notification)
    return {
        # Everything in the constructor: a session changed after creation briefly runs its
        # defaults (DHT on 0.0.0.0 with the public bootstrap node, LSD, UPnP, NAT-PMP).
        "enable_dht": True,
        "dht_bootstrap_nodes": "",
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "listen_interfaces": listen,
        "outgoing_interfaces": outgoing,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,  # also: no implied_port in our announces
        "listen_system_port_fallback": False,
        "max_retry_port_bind": 0,  # else a taken port silently becomes port+1
        # A loopback DHT (see shared INTEROP.md): one node per IP, rate limits, BEP 42 checks
        # and the "dark internet" filter all work against many nodes on 127.x -- and on ::1,
        # the only IPv6 loopback address, where every IPv6 node shares one IP (and one /64).
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_block_ratelimit": 100000,
        "dht_enforce_node_id": False,
        "dht_prefer_verified_node_ids": False,
        "dht_ignore_dark_internet": False,
        "dht_upload_rate_limit": 10_000_000,
        "dht_sample_infohashes_interval": 0,
        "dht_read_only": False,
        # Peer connections (seed/download): our fetcher and our downloader connect one after the
        # other from one loopback address; libtorrent would refuse the second while it still
        # counts the first.
        "allow_multiple_connections_per_ip": True,
        # --plain-buckets: every bucket holds 8 nodes (libtorrent's default lets the farthest
        # buckets hold 128, 64, 32, 16), so a test can fill one with a few dozen nodes.
        "dht_extended_routing_table": not plain_buckets,
        "alert_mask": mask,
        "alert_queue_size": 100000,
    }


def make_ip_filter():
    # Allow only 127.0.0.0/8 and ::1: otherwise a torrent opens TCP connections to any peer
    # address a DHT reply hands it.
    f = lt.ip_filter()
    f.add_rule("0.0.0.0", "255.255.255.255", 1)
    f.add_rule("127.0.0.0", "127.255.255.255", 0)
    f.add_rule("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1)
    f.add_rule("::1", "::1", 0)
    return f


# --- pending operations -------------------------------------------------------------------


class Pending:
    """A command waiting for alerts or time. step() returns a reply dict when done."""

    def __init__(self, seq, deadline):
        self.seq = seq
        self.deadline = deadline

    def on_alert(self, alert, node):
        return None

    def step(self, now, node):
        return None


class RoutingTableOp(Pending):
    """dht_live_nodes of every DHT node asked for (one per family; the alert names the node by
    its id): the union of their live nodes."""

    def __init__(self, seq, deadline, families):
        super().__init__(seq, deadline)
        self.families = families
        self.waiting = None  # node ids (hex) whose dht_live_nodes_alert has not come yet
        self.nodes = []

    def step(self, now, node):
        if self.waiting is None:
            self.waiting = set()
            for family in self.families:
                self.waiting.add(node.sockets[family]["id"])
                node.request_live_nodes(family)
        if now >= self.deadline:
            return {"ok": False, "error": "no dht_live_nodes_alert within timeout"}
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_live_nodes_alert) and self.waiting:
            nid = str(alert.node_id)
            if nid in self.waiting:
                self.waiting.discard(nid)
                self.nodes += node.live_nodes_json(alert)
                if not self.waiting:
                    return {"ok": True, "nodes": self.nodes}
        return None


class BucketsOp(Pending):
    """The size of each routing-table bucket of one DHT node: live nodes and replacements
    (post_dht_stats posts one dht_stats_alert per node, its message naming the node id)."""

    STATS = re.compile(r"DHT stats: \(([0-9a-f]{40})\)")

    def __init__(self, seq, deadline, family):
        super().__init__(seq, deadline)
        self.family = family
        self.requested = False

    def step(self, now, node):
        if not self.requested:
            node.ses.post_dht_stats()
            self.requested = True
        if now >= self.deadline:
            return {"ok": False, "error": "no dht_stats_alert within timeout"}
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_stats_alert):
            m = self.STATS.search(alert.message())
            if m and m.group(1) != node.sockets[self.family]["id"]:
                return None  # another family's node

            def field(b, name):
                return int(b[name] if isinstance(b, dict) else getattr(b, name))
            return {"ok": True, "family": self.family,
                    "buckets": [{"nodes": field(b, "num_nodes"), "replacements": field(b, "num_replacements")}
                                for b in alert.routing_table]}
        return None


class AddNodeWaitOp(Pending):
    """add_node with "wait": poll dht_live_nodes of the node of host's family until host:port
    is in its routing table."""

    def __init__(self, seq, deadline, host, port):
        super().__init__(seq, deadline)
        self.key = (str(host), port)
        self.family = family_of(host)
        self.next_poll = 0.0

    def step(self, now, node):
        if now >= self.deadline:
            return {"ok": True, "in_table": False}
        if now >= self.next_poll:
            node.request_live_nodes(self.family)
            self.next_poll = now + LIVE_NODES_POLL
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_live_nodes_alert):
            for n in node.live_nodes_json(alert):
                if (n["host"], n["port"]) == self.key:
                    return {"ok": True, "in_table": True, "id": n["id"]}
        return None


class GetPeersOp(Pending):
    """session.dht_get_peers() starts one get_peers traversal on each DHT node (one per family)
    and posts a dht_get_peers_reply_alert for every reply that carries values, but nothing when
    a traversal ends. The ends are read from libtorrent's own DHT log: "DHT traversal: [N] NEW
    target: <info-hash>" opens traversal N, "[N] COMPLETED ... type: get_peers" ends it. N counts
    per node (both families' nodes number theirs from 0), so the op takes the first NEW line of
    each node for its hash and is done when as many get_peers traversals with those numbers
    have completed. An announce of the same hash (the torrent's own, which libtorrent may start
    at any time after it was added) is a get_peers traversal too, with the same NEW and COMPLETED
    lines: libtorrent logs "announcing [ ih: <hash>" just before it starts one, so the NEW line
    that follows such a line is not this op's (taking it ended the op with the announce's
    traversal, before the reply with values had come)."""

    NEW = re.compile(r"\[(\d+)\] NEW target: ([0-9a-f]{40})")
    COMPLETED = re.compile(r"\[(\d+)\] COMPLETED .*type: (\S+)")
    ANNOUNCING = re.compile(r"announcing \[ ih: ([0-9a-f]{40}) ")

    def __init__(self, seq, deadline, info_hash, expected):
        super().__init__(seq, deadline)
        self.info_hash = info_hash
        self.expected = expected  # how many traversals: the number of DHT nodes
        self.started = 0
        self.open = []  # numbers of our traversals still running (two may share a number)
        self.peers = []
        self.announces = 0  # announce traversals of this hash logged but not yet started

    def step(self, now, node):
        if now >= self.deadline:
            return {"ok": True, "peers": self.peers, "timed_out": True}
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_get_peers_reply_alert) and str(alert.info_hash) == self.info_hash:
            for p in alert.peers():
                text = endpoint_text(p[0], p[1])
                if text not in self.peers:
                    self.peers.append(text)
        elif isinstance(alert, lt.dht_log_alert):
            msg = alert.message()
            m = self.ANNOUNCING.search(msg)
            if m:
                if m.group(1) == self.info_hash:
                    self.announces += 1
                return None
            m = self.NEW.search(msg)
            if m:
                if m.group(2) == self.info_hash and self.announces > 0:
                    self.announces -= 1  # the announce's own traversal
                elif m.group(2) == self.info_hash and self.started < self.expected:
                    self.started += 1
                    self.open.append(m.group(1))
                return None
            m = self.COMPLETED.search(msg)
            if m and m.group(1) in self.open and m.group(2) == "get_peers":
                self.open.remove(m.group(1))
                if self.started == self.expected and not self.open:
                    return {"ok": True, "peers": self.peers}
        return None


class AnnounceOp(Pending):
    """Waits for libtorrent's own DHT log: each announce is a get_peers traversal on each DHT
    node ("DHT node: announcing [ ih: X p: 0 ]") that ends with
    "DHT node: sending announce_peer [ ih: X  p: PORT nodes: N ]" (N = nodes that returned a
    token and got announce_peer). Adding the torrent triggers one announce by itself and
    force_dht_announce() another; the op is done when every traversal it saw start has ended.
    The announce_peer queries themselves are read from dht_pkt_alert: where each went, and the
    port it carried (libtorrent announces each node's own listen port)."""

    STARTED = re.compile(r"announcing \[ ih: ([0-9a-f]{40}) ")
    SENT = re.compile(r"sending announce_peer \[ ih: ([0-9a-f]{40})\s+p: (\d+) nodes: (\d+)")

    def __init__(self, seq, deadline, info_hash, requested_port, listen_port, expected):
        super().__init__(seq, deadline)
        self.info_hash = info_hash
        # traversals to wait for at least: one per DHT node. On a dual-stack session the IPv4
        # node's traversal can start and end before the IPv6 node's has begun.
        self.expected = expected
        self.requested_port = requested_port
        self.announced_port = listen_port
        self.started = 0
        self.ended = 0
        self.sent_to = 0
        self.announced_to = []  # endpoints (text) that got announce_peer for the hash
        self.ports = {}  # family -> the port its announce_peer queries carried

    def reply(self, ok):
        r = {"ok": ok, "announced_port": self.announced_port, "sent_to": self.sent_to,
             "announced_to": self.announced_to, "announced_ports": self.ports}
        if self.requested_port is not None:
            r["requested_port"] = self.requested_port
            if self.requested_port != self.announced_port:
                r["note"] = ("libtorrent announces its listen port (TCP and DHT share it); "
                             "start this harness with --port %d to announce that port" % self.requested_port)
        if not ok:
            r["error"] = ("announce_peer sent to no node (none answered get_peers with a token)"
                          if self.ended else "announce did not finish within timeout")
        return r

    def step(self, now, node):
        if self.started >= self.expected and self.ended >= self.started:
            return self.reply(self.sent_to > 0)
        if now >= self.deadline:
            return self.reply(self.sent_to > 0)
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_pkt_alert):
            sent = outgoing_query(alert)
            if sent is not None:
                ep, family, msg = sent
                a = msg.get(b"a")
                if (msg.get(b"q") == b"announce_peer" and isinstance(a, dict)
                        and bytes(a.get(b"info_hash", b"")).hex() == self.info_hash):
                    if ep not in self.announced_to:
                        self.announced_to.append(ep)
                    if isinstance(a.get(b"port"), int):
                        self.ports[family] = a[b"port"]
        elif isinstance(alert, lt.dht_log_alert):
            msg = alert.message()
            m = self.STARTED.search(msg)
            if m and m.group(1) == self.info_hash:
                self.started += 1
                return None
            m = self.SENT.search(msg)
            if m and m.group(1) == self.info_hash and self.started > self.ended:
                self.ended += 1
                self.announced_port = int(m.group(2))
                # several traversals may run (the one adding the torrent starts and the forced
                # one, each on every node): report the largest number of nodes one announced to
                self.sent_to = max(self.sent_to, int(m.group(3)))
        return None


class SeedOp(AnnounceOp):
    """seed: the torrent's own DHT announce (as AnnounceOp), the reply carrying what the torrent is."""

    def __init__(self, seq, deadline, info_hash, listen_port, fields, expected):
        super().__init__(seq, deadline, info_hash, None, listen_port, expected)
        self.fields = fields

    def reply(self, ok):
        r = super().reply(ok)
        r.update(self.fields)
        return r


class DownloadOp(Pending):
    """download: a torrent added from its .torrent file and one peer given by address; done at
    its torrent_finished_alert. elapsed is from the add to that alert (seen within one pump,
    20 ms)."""

    def __init__(self, seq, deadline, handle, started):
        super().__init__(seq, deadline)
        self.handle = handle
        self.started = started

    def result(self, ok, now):
        st = self.handle.status()
        r = {"ok": ok, "elapsed": round(now - self.started, 4), "total_done": st.total_done,
             "total_wanted": st.total_wanted, "state": str(st.state)}
        if not ok:
            r["error"] = "not finished within timeout"
        return r

    def step(self, now, node):
        if now >= self.deadline:
            return self.result(False, now)
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.torrent_finished_alert) and alert.handle == self.handle:
            return self.result(True, time.monotonic())
        return None


class PutImmutableOp(Pending):
    """put (BEP 44, immutable): session.dht_put_immutable_item() runs libtorrent's get traversal
    for write tokens and puts the item to the closest nodes that gave one; done at its
    dht_put_alert, whose num_success counts the nodes that stored it."""

    def __init__(self, seq, deadline, target):
        super().__init__(seq, deadline)
        self.target = target

    def step(self, now, node):
        if now >= self.deadline:
            return {"ok": False, "target": self.target, "error": "no dht_put_alert within timeout"}
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_put_alert) and str(alert.target) == self.target:
            return {"ok": True, "target": self.target, "sent_to": int(alert.num_success)}
        return None


class GetImmutableOp(Pending):
    """get (BEP 44, immutable): session.dht_get_immutable_item() runs libtorrent's get traversal
    (a value counts only if it hashes to the target) and posts one dht_immutable_item_alert, with
    the item, or with none (reading it raises) when no node had it."""

    def __init__(self, seq, deadline, target):
        super().__init__(seq, deadline)
        self.target = target

    def step(self, now, node):
        if now >= self.deadline:
            return {"ok": True, "found": False, "timed_out": True}
        return None

    def on_alert(self, alert, node):
        if isinstance(alert, lt.dht_immutable_item_alert) and str(alert.target) == self.target:
            try:
                item = alert.item  # the bindings give {"key": <target>, "value": <the bdecoded v>}
            except RuntimeError:  # an undefined entry: no node returned the item
                return {"ok": True, "found": False}
            if str(item["key"]) != self.target:
                return {"ok": False, "error": "dht_immutable_item_alert for %s carries the item of %s" % (self.target, item["key"])}
            return dict({"ok": True, "found": True}, **item_json(item["value"]))
        return None


def item_json(item):
    """A BEP 44 value as the reply carries it: its bencode in hex, and as text when it is a byte
    string of UTF-8."""
    reply = {"bencoded_hex": lt.bencode(item).hex(), "value": None}
    if isinstance(item, bytes):
        try:
            reply["value"] = item.decode("utf-8")
        except UnicodeDecodeError:
            pass  # binary: bencoded_hex has it
    elif isinstance(item, str):
        reply["value"] = item
    return reply


def target_arg(cmd):
    text = cmd.get("target")
    if not isinstance(text, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", text):
        raise CommandError("target must be 40 hex digits")
    return text.lower()


PKT = re.compile(r"^(==>|<==) \[(\[[0-9a-fA-F:.]+\]:\d+|[0-9.]+:\d+)\] ")


def outgoing_query(alert):
    """(endpoint text, family, decoded message) of a KRPC query libtorrent sent, read from a
    dht_pkt_alert ("==> [endpoint] {...}" and the raw bytes); None for anything else."""
    m = PKT.match(alert.message())
    if not m or m.group(1) != "==>":
        return None
    try:
        msg = lt.bdecode(bytes(alert.pkt_buf))
    except RuntimeError:
        return None
    if not isinstance(msg, dict) or msg.get(b"y") != b"q":
        return None
    ep = m.group(2)
    return ep, ("ipv6" if ep.startswith("[") else "ipv4"), msg


# --- the node -----------------------------------------------------------------------------


class Node:
    """One libtorrent session listening on each of `binds` (at most one address per family):
    one DHT node per family, each with its own UDP socket, node id and routing table."""

    def __init__(self, binds, port, verbose, plain_buckets=False):
        self.binds = binds
        self.verbose = verbose
        self.save_dir = tempfile.mkdtemp(prefix="lt-harness-")
        params = lt.session_params()
        params.settings = make_settings(binds, port, plain_buckets)
        params.ip_filter = make_ip_filter()
        self.ses = lt.session(params)
        self.primary = family_of(binds[0])
        self.sockets = {}  # family -> {"family", "host", "port", "id"}: one DHT node each
        self.torrents = {}  # info_hash hex -> torrent_handle
        self.pending = []

    @property
    def node_id(self):
        return self.sockets[self.primary]["id"]

    @property
    def port(self):
        return self.sockets[self.primary]["port"]

    # startup

    STARTING = re.compile(r"starting (\S+) DHT tracker with node id: ([0-9a-f]{40})")

    def wait_ready(self, requested_port, timeout=15.0):
        deadline = time.monotonic() + timeout
        ports = {}  # (address, "tcp"/"udp") -> port
        ids = {}  # address -> node id hex
        while time.monotonic() < deadline:
            self.ses.wait_for_alert(100)
            for a in self.ses.pop_alerts():
                self.log_alert(a)
                if isinstance(a, lt.listen_failed_alert):
                    raise RuntimeError("listen failed: " + a.message())
                if isinstance(a, lt.listen_succeeded_alert):
                    # the UDP socket (DHT and uTP) is reported as socket type utp
                    address = str(ipaddress.ip_address(str(a.address)))
                    if a.socket_type == lt.socket_type_t.tcp:
                        ports[(address, "tcp")] = a.port
                    elif a.socket_type in (lt.socket_type_t.utp, lt.socket_type_t.udp):
                        ports[(address, "udp")] = a.port
                if isinstance(a, lt.dht_log_alert):
                    m = self.STARTING.search(a.message())
                    if m:
                        ids[str(ipaddress.ip_address(m.group(1)))] = m.group(2)
            listening = all((str(b), kind) in ports for b in self.binds for kind in ("tcp", "udp"))
            if listening and len(ids) < len(self.binds):
                ids.update(self.node_ids_from_state())
            if listening and all(str(b) in ids for b in self.binds):
                for b in self.binds:
                    tcp_port, udp_port = ports[(str(b), "tcp")], ports[(str(b), "udp")]
                    # libtorrent opens TCP and UDP on one port, but if the UDP port is taken it
                    # quietly takes the next one for UDP only: the DHT would answer elsewhere and
                    # announce the TCP port. Refuse that.
                    if udp_port != tcp_port:
                        raise RuntimeError("%s: TCP listens on %d but UDP (DHT) on %d: port %d taken for UDP?"
                                           % (b, tcp_port, udp_port, tcp_port))
                    if requested_port and udp_port != requested_port:
                        raise RuntimeError("%s: asked for port %d, got %d" % (b, requested_port, udp_port))
                    self.sockets[family_of(b)] = {"family": family_of(b), "host": str(b), "port": udp_port, "id": ids[str(b)]}
                return
        raise RuntimeError("DHT did not start within %.0f s" % timeout)

    def node_ids_from_state(self):
        """address -> node id, from dht_state()'s "node-id" list (each entry: the 20-byte id
        followed by the node's 4- or 16-byte address)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            state = self.ses.dht_state()
        out = {}
        for entry in (state.get(b"node-id") or []) if isinstance(state, dict) else []:
            entry = bytes(entry)
            if len(entry) in (24, 36):
                out[str(ipaddress.ip_address(entry[20:]))] = entry[:20].hex()
        return out

    # helpers

    def log_alert(self, a):
        if isinstance(a, lt.listen_failed_alert):
            log(a.message())
        elif self.verbose:
            if isinstance(a, lt.dht_pkt_alert):
                log("pkt %s | %r" % (a.message()[:60], bytes(a.pkt_buf)))
            else:
                log("%s: %s" % (type(a).__name__, a.message()))

    def request_live_nodes(self, family):
        self.ses.dht_live_nodes(lt.sha1_hash(bytes.fromhex(self.sockets[family]["id"])))

    @staticmethod
    def live_nodes_json(alert):
        out = []
        for n in alert.nodes:
            # each entry: {'nid': sha1_hash, 'endpoint': (ip, port)}
            nid = n["nid"] if isinstance(n, dict) else n[0]
            ep = n["endpoint"] if isinstance(n, dict) else n[1]
            out.append({"id": str(nid), "host": str(ep[0]), "port": int(ep[1])})
        return out

    def torrent_for(self, info_hash):
        h = self.torrents.get(info_hash)
        if h is not None and h.is_valid():
            return h
        atp = lt.add_torrent_params()
        atp.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(info_hash)))
        atp.save_path = self.save_dir
        atp.name = info_hash
        # metadata-less, never downloads or writes anything; not paused, not auto-managed
        atp.flags = (lt.torrent_flags.upload_mode | lt.torrent_flags.apply_ip_filter
                     | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex)
        h = self.ses.add_torrent(atp)
        self.torrents[info_hash] = h
        return h

    # commands

    def handle(self, cmd):
        """Returns a reply dict now, or None when a Pending was queued."""
        name = cmd.get("cmd")
        seq = cmd.get("seq")
        now = time.monotonic()
        if name == "add_node":
            host = loopback_address(cmd.get("host"), "host")
            port = port_arg(cmd.get("port"), "port")
            if family_of(host) not in self.sockets:
                raise CommandError("no %s DHT node here to add %s to (start the harness with a --bind of that family)"
                                   % (family_of(host), host))
            self.ses.add_dht_node((str(host), port))
            if "wait" in cmd:
                wait = timeout_arg({"timeout": cmd["wait"]})
                self.pending.append(AddNodeWaitOp(seq, now + wait, host, port))
                return None
            return {"ok": True}
        if name == "announce":
            ih = info_hash_arg(cmd)
            requested = cmd.get("port")
            if requested is not None:
                requested = port_arg(requested, "port")
            h = self.torrent_for(ih)
            h.force_dht_announce()
            self.pending.append(AnnounceOp(seq, now + timeout_arg(cmd, ANNOUNCE_TIMEOUT), ih, requested, self.port,
                                            len(self.sockets)))
            return None
        if name == "get_peers":
            ih = info_hash_arg(cmd)
            self.ses.dht_get_peers(lt.sha1_hash(bytes.fromhex(ih)))
            self.pending.append(GetPeersOp(seq, now + timeout_arg(cmd), ih, len(self.sockets)))
            return None
        if name == "put":
            value = cmd.get("value")
            if not isinstance(value, str) or len(value.encode("utf-8")) > 996:
                raise CommandError("value must be a string of at most 996 bytes of UTF-8 (stored as a bencoded byte string)")
            if any(k in cmd for k in ("seed", "salt", "sequence", "cas")):
                raise CommandError("this harness puts immutable items only (mutable items are tested with bittorrent-dht)")
            target = str(self.ses.dht_put_immutable_item(value.encode("utf-8")))
            self.pending.append(PutImmutableOp(seq, now + timeout_arg(cmd, ANNOUNCE_TIMEOUT), target))
            return None
        if name == "get":
            if any(k in cmd for k in ("public_key", "salt")):
                raise CommandError("this harness gets immutable items only (mutable items are tested with bittorrent-dht)")
            target = target_arg(cmd)
            self.ses.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(target)))
            self.pending.append(GetImmutableOp(seq, now + timeout_arg(cmd, ANNOUNCE_TIMEOUT), target))
            return None
        if name == "routing_table":
            family = family_arg(cmd, self)
            families = [family] if family else list(self.sockets)
            self.pending.append(RoutingTableOp(seq, now + timeout_arg(cmd, 5.0), families))
            return None
        if name == "buckets":
            family = family_arg(cmd, self) or self.primary
            self.pending.append(BucketsOp(seq, now + timeout_arg(cmd, 5.0), family))
            return None
        if name == "seed":
            return self.seed(cmd, seq, now)
        if name == "download":
            return self.download(cmd, seq, now)
        if name == "quit":
            raise SystemExit(0)
        raise CommandError("unknown cmd %r" % (name,))

    def seed(self, cmd, seq, now):
        """Makes a torrent of the folder cmd["path"] with libtorrent's defaults (a v1+v2 hybrid
        with BEP 47 pad files), writes it to cmd["torrent_file"] when given, and seeds it: seed
        mode (its pieces are checked as they are first asked for), no tracker, DHT on, so it
        announces itself to the DHT and serves metadata (BEP 9) and pieces on the listen port.
        With "announce" (default true) the reply waits for that announce."""
        path = cmd.get("path")
        if not isinstance(path, str) or not os.path.isabs(path) or not os.path.isdir(path):
            raise CommandError("path must be an absolute path to a folder")
        fs = lt.file_storage()
        lt.add_files(fs, path)
        ct = lt.create_torrent(fs)  # default flags: v1+v2 hybrid, pad files
        lt.set_piece_hashes(ct, os.path.dirname(path))
        torrent = ct.generate()
        info = lt.bencode(torrent[b"info"])
        if isinstance(cmd.get("torrent_file"), str):
            with open(cmd["torrent_file"], "wb") as f:
                f.write(lt.bencode(torrent))
        ti = lt.torrent_info(lt.bencode(torrent))
        ih = str(ti.info_hashes().v1)
        name = ti.name()
        fields = {
            "info_hash": ih,
            "info_hash_v2": str(ti.info_hashes().v2),
            "name": name,
            "piece_length": ti.piece_length(),
            "num_pieces": ti.num_pieces(),
            "total_size": ti.total_size(),
            "files": sum(1 for i in range(ti.num_files()) if not ti.files().file_flags(i) & lt.file_storage.flag_pad_file),
            "metadata_size": len(info),
            "magnet": "magnet:?xt=urn:btih:%s&dn=%s" % (ih, urllib.parse.quote(name)),
        }
        atp = lt.add_torrent_params()
        atp.ti = ti
        atp.save_path = os.path.dirname(path)
        # not paused, not auto-managed; no LSD, no PeX: the DHT is the only way to it
        atp.flags = (lt.torrent_flags.seed_mode | lt.torrent_flags.apply_ip_filter
                     | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex)
        h = self.ses.add_torrent(atp)
        self.torrents[ih] = h
        if cmd.get("announce", True):
            h.force_dht_announce()
            self.pending.append(SeedOp(seq, now + timeout_arg(cmd, ANNOUNCE_TIMEOUT), ih, self.port, fields,
                                         len(self.sockets)))
            return None
        return dict({"ok": True}, **fields)

    def download(self, cmd, seq, now):
        """Downloads the torrent of cmd["torrent_file"] into cmd["save_path"] from the one peer
        cmd["peer"] ("127.x.y.z:port"), with the DHT off for it: for a transfer rate next to
        ours, from the same seeder."""
        torrent_file, save_path = cmd.get("torrent_file"), cmd.get("save_path")
        if not isinstance(torrent_file, str) or not os.path.isfile(torrent_file):
            raise CommandError("torrent_file must be an existing .torrent file")
        if not isinstance(save_path, str) or not os.path.isabs(save_path):
            raise CommandError("save_path must be an absolute path")
        host, _, port = str(cmd.get("peer", "")).rpartition(":")
        host = loopback_address(host.strip("[]"), "peer")
        port = port_arg(int(port) if port.isdigit() else None, "peer port")
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent_file)
        atp.save_path = save_path
        atp.flags = (lt.torrent_flags.apply_ip_filter | lt.torrent_flags.disable_lsd
                     | lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht)
        started = time.monotonic()
        h = self.ses.add_torrent(atp)
        h.connect_peer((str(host), port))
        self.pending.append(DownloadOp(seq, now + timeout_arg(cmd, 120.0), h, started))
        return None

    def finish(self, op, reply):
        emit(dict({"seq": op.seq}, **reply))

    def pump(self, wait_ms):
        self.ses.wait_for_alert(wait_ms)
        alerts = self.ses.pop_alerts()
        now = time.monotonic()
        for a in alerts:
            self.log_alert(a)
            for op in list(self.pending):
                r = op.on_alert(a, self)
                if r is not None:
                    self.pending.remove(op)
                    self.finish(op, r)
        for op in list(self.pending):
            r = op.step(now, self)
            if r is not None:
                self.pending.remove(op)
                self.finish(op, r)

    def close(self):
        try:
            self.ses.pause()
            del self.ses
        finally:
            shutil.rmtree(self.save_dir, ignore_errors=True)


def stdin_reader(q):
    for line in sys.stdin:
        q.put(line)
    q.put(None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", required=True, action="append",
                    help="loopback address to listen on, e.g. 127.0.0.3 or ::1; give it twice "
                         "(one IPv4, one ::1) for a dual-stack node")
    ap.add_argument("--port", type=int, default=0, help="DHT (and TCP listen) port; 0 = ephemeral")
    ap.add_argument("--verbose", action="store_true", help="log DHT packets and alerts to stderr")
    ap.add_argument("--plain-buckets", action="store_true",
                    help="dht_extended_routing_table off: every bucket holds 8 nodes")
    args = ap.parse_args()
    try:
        binds = [loopback_address(b, "--bind") for b in args.bind]
        if len({family_of(b) for b in binds}) != len(binds):
            raise CommandError("--bind: at most one address per family (one 127.x.y.z, one ::1)")
        port_arg(args.port, "--port", allow_zero=True)
    except CommandError as e:
        emit({"event": "error", "error": str(e)})
        return 2
    if not only_loopback_interfaces():
        emit({"event": "error", "error": "not in a loopback-only network namespace: run me under "
                                          "unshare --net -- bash -c 'ip link set lo up && exec ...'"})
        return 2

    node = Node(binds, args.port, args.verbose, args.plain_buckets)
    try:
        node.wait_ready(args.port)
    except RuntimeError as e:
        emit({"event": "error", "error": str(e)})
        log(str(e))
        node.close()
        return 1
    # host/port/id: the first --bind's node (what a single-stack caller reads); sockets: every
    # family's DHT node, in --bind order
    emit({"event": "ready", "port": node.port, "id": node.node_id, "host": str(binds[0]), "client": CLIENT,
          "sockets": [node.sockets[family_of(b)] for b in binds]})
    for b in binds:
        sock = node.sockets[family_of(b)]
        log("ready on %s, node id %s" % (endpoint_text(b, sock["port"]), sock["id"]))

    q = queue.Queue()
    threading.Thread(target=stdin_reader, args=(q,), daemon=True).start()
    code = 0
    try:
        while True:
            node.pump(20)
            stop = False
            while True:
                try:
                    line = q.get_nowait()
                except queue.Empty:
                    break
                if line is None:
                    log("stdin closed, exiting")
                    stop = True
                    break
                line = line.strip()
                if not line:
                    continue
                seq = None
                try:
                    cmd = json.loads(line)
                    if not isinstance(cmd, dict):
                        raise CommandError("command must be a JSON object")
                    seq = cmd.get("seq")
                    reply = node.handle(cmd)
                    if reply is not None:
                        emit(dict({"seq": seq}, **reply))
                except SystemExit:
                    emit({"seq": seq, "ok": True})
                    stop = True
                    break
                except (CommandError, ValueError, TypeError, RuntimeError) as e:
                    emit({"seq": seq, "ok": False, "error": str(e)})
            if stop:
                break
    except KeyboardInterrupt:
        code = 130
    finally:
        for op in node.pending:
            emit({"seq": op.seq, "ok": False, "error": "node shutting down"})
        node.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
