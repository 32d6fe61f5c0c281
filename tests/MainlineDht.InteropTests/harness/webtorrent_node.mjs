#!/usr/bin/env node
// One WebTorrent `bittorrent-dht` (11.0.12) node, driven over a line-oriented JSON protocol.
//
// Run it inside a loopback-only network namespace, after `npm ci` in this folder:
//
//   unshare --net -- bash -c 'ip link set lo up && exec node webtorrent_node.mjs --bind 127.0.0.4 --port 0'
//
// stdout carries only protocol lines (one JSON object each); everything else goes to stderr.
// See README.md beside this file for the protocol and the quirks.

import crypto from 'node:crypto'
import net from 'node:net'
import readline from 'node:readline'
import { readFileSync } from 'node:fs'
import DHT from 'bittorrent-dht'

// the package's "exports" hide its package.json: read it from node_modules beside this file
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/bittorrent-dht/package.json', import.meta.url))).version
const CLIENT = `bittorrent-dht ${VERSION}`
const DEFAULT_TIMEOUT = 10
const ANNOUNCE_TIMEOUT = 30

// BEP 44 mutable items: ed25519 from Node's own crypto. A raw 32-byte key becomes a KeyObject
// through the DER prefix of its SPKI (public) or PKCS#8 (private seed) form.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const verified = { valid: 0, invalid: 0 }

// bittorrent-dht's `verify` option: (signature, signed buffer, public key) -> boolean. It checks
// the items our node puts (its _onput) and the items its lookups receive (its get).
function ed25519Verify (signature, message, publicKey) {
  let ok = false
  if (Buffer.isBuffer(publicKey) && publicKey.length === 32 && Buffer.isBuffer(signature) && signature.length === 64) {
    try {
      const key = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
      ok = crypto.verify(null, message, key, signature)
    } catch (e) {
      log(`verify: key ${publicKey.toString('hex')} refused: ${e.message}`) // not a curve point: the item does not verify
    }
  }
  if (ok) verified.valid++
  else verified.invalid++
  return ok
}

function signingKey (seedHex) {
  if (typeof seedHex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(seedHex)) {
    throw new CommandError('seed must be 64 hex digits (a 32-byte ed25519 seed)')
  }
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' })
  const publicKey = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length)
  return { privateKey, publicKey }
}

// A BEP 44 value as a reply carries it: as text when it is a byte string of UTF-8, and its bencode in hex.
function itemJson (item) {
  const v = item.v
  const reply = { value: null, value_hex: Buffer.isBuffer(v) ? v.toString('hex') : null }
  if (Buffer.isBuffer(v)) {
    const text = v.toString('utf8')
    if (Buffer.from(text, 'utf8').equals(v)) reply.value = text
  }
  if (typeof item.seq === 'number') reply.sequence = item.seq
  if (Buffer.isBuffer(item.k)) reply.k = item.k.toString('hex')
  if (Buffer.isBuffer(item.sig)) reply.sig = item.sig.toString('hex')
  return reply
}

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function log (msg) {
  process.stderr.write(`[webtorrent_node] ${msg}\n`)
}

class CommandError extends Error {}

// Network safety: this harness only ever talks to 127.0.0.0/8 (bittorrent-dht is IPv4 only).
function loopbackV4 (text, what) {
  if (typeof text !== 'string' || net.isIPv4(text) === false) {
    throw new CommandError(`${what} ${JSON.stringify(text)} is not an IPv4 address (bittorrent-dht is IPv4 only)`)
  }
  if (!text.startsWith('127.')) {
    throw new CommandError(`${what} ${text} is not a loopback address (only 127.0.0.0/8 allowed)`)
  }
  return text
}

function portArg (value, what, allowZero = false) {
  if (!Number.isInteger(value)) throw new CommandError(`${what} must be an integer`)
  if (value < (allowZero ? 0 : 1) || value > 65535) throw new CommandError(`${what} ${value} out of range`)
  return value
}

function infoHashArg (cmd) {
  const text = cmd.info_hash
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{40}$/.test(text)) {
    throw new CommandError('info_hash must be 40 hex digits')
  }
  return text.toLowerCase()
}

function hexIdArg (text, what) {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{40}$/.test(text)) {
    throw new CommandError(`${what} must be 40 hex digits`)
  }
  return text.toLowerCase()
}

// Compact node info (BEP 5): 20-byte id, 4-byte IPv4 address, 2-byte port, repeated.
function compactNodes (buf) {
  const out = []
  if (!Buffer.isBuffer(buf)) return out
  for (let i = 0; i + 26 <= buf.length; i += 26) {
    out.push({
      id: buf.subarray(i, i + 20).toString('hex'),
      host: `${buf[i + 20]}.${buf[i + 21]}.${buf[i + 22]}.${buf[i + 23]}`,
      port: buf.readUInt16BE(i + 24)
    })
  }
  return out
}

function timeoutArg (value, def = DEFAULT_TIMEOUT) {
  if (value === undefined) return def
  if (typeof value !== 'number' || !(value >= 0 && value <= 600)) {
    throw new CommandError('timeout must be a number of seconds in [0, 600]')
  }
  return value
}

function parseArgs (argv) {
  const out = { bind: null, port: 0, verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--bind') out.bind = argv[++i]
    else if (a === '--port') out.port = Number(argv[++i])
    else if (a === '--verbose') out.verbose = true
    else throw new CommandError(`unknown argument ${a}`)
  }
  if (!out.bind) throw new CommandError('--bind is required')
  loopbackV4(out.bind, '--bind')
  portArg(out.port, '--port', true)
  return out
}

// True when this process's network namespace has no interface but lo.
function onlyLoopbackInterfaces () {
  try {
    const names = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2)
      .map(l => l.split(':')[0].trim()).filter(Boolean)
    return names.length === 1 && names[0] === 'lo'
  } catch {
    return false
  }
}

function routingTable (dht) {
  return dht.nodes.toArray().map(n => ({
    id: Buffer.from(n.id).toString('hex'),
    host: n.host,
    port: n.port
  }))
}

function sleep (ms) {
  return new Promise(resolve => setTimeout(resolve, ms))
}

async function handle (dht, cmd) {
  switch (cmd.cmd) {
    case 'add_node': {
      const host = loopbackV4(cmd.host, 'host')
      const port = portArg(cmd.port, 'port')
      // No id given: bittorrent-dht pings the node and adds it when the pong comes back.
      dht.addNode({ host, port })
      if (cmd.wait === undefined) return { ok: true }
      const deadline = Date.now() + timeoutArg(cmd.wait) * 1000
      for (;;) {
        const found = routingTable(dht).find(n => n.host === host && n.port === port)
        if (found) return { ok: true, in_table: true, id: found.id }
        if (Date.now() >= deadline) return { ok: true, in_table: false }
        await sleep(50)
      }
    }
    case 'announce': {
      const infoHash = infoHashArg(cmd)
      const port = cmd.port === undefined ? 0 : portArg(cmd.port, 'port')
      const timeoutMs = timeoutArg(cmd.timeout, ANNOUNCE_TIMEOUT) * 1000
      // announce() = get_peers lookup (unless one ran in the last 5 min), then announce_peer
      // to the closest nodes that returned a token. port 0 sends implied_port=1.
      const result = await new Promise(resolve => {
        const timer = setTimeout(() => resolve({ err: new Error('announce did not finish within timeout') }), timeoutMs)
        dht.announce(infoHash, port, (err, hits) => {
          clearTimeout(timer)
          resolve({ err, hits })
        })
      })
      if (result.err) {
        return { ok: false, error: String(result.err.message || result.err), announced_port: port }
      }
      const reply = { ok: true, announced_port: port, sent_to: result.hits ?? null }
      if (cmd.port !== undefined) reply.requested_port = cmd.port
      return reply
    }
    case 'get_peers': {
      const infoHash = infoHashArg(cmd)
      const timeoutMs = timeoutArg(cmd.timeout) * 1000
      const peers = []
      const onPeer = (peer, ih) => {
        if (Buffer.from(ih).toString('hex') !== infoHash) return
        const text = `${peer.host}:${peer.port}`
        if (!peers.includes(text)) peers.push(text)
      }
      dht.on('peer', onPeer)
      let abort = null
      const result = await new Promise(resolve => {
        const timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs)
        abort = dht.lookup(infoHash, (err, n) => {
          clearTimeout(timer)
          resolve({ err, n })
        })
      })
      // 'peer' events for values a reply carried are emitted synchronously in the reply
      // handler, before the lookup's callback: nothing is missed by removing the listener now.
      dht.removeListener('peer', onPeer)
      if (result.timedOut) {
        if (abort) abort()
        return { ok: true, peers, timed_out: true }
      }
      if (result.err) return { ok: false, error: String(result.err.message || result.err), peers }
      return { ok: true, peers, nodes_visited: result.n }
    }
    case 'find_node': {
      // One find_node query straight to host:port (bittorrent-dht itself sends find_node only
      // while bootstrapping from a router list, which this harness never gives it).
      const host = loopbackV4(cmd.host, 'host')
      const port = portArg(cmd.port, 'port')
      const target = hexIdArg(cmd.target, 'target')
      const timeoutMs = timeoutArg(cmd.timeout) * 1000
      const result = await new Promise(resolve => {
        const timer = setTimeout(() => resolve({ err: new Error('no find_node reply within timeout') }), timeoutMs)
        dht._rpc.query({ host, port }, { q: 'find_node', a: { id: dht._rpc.id, target: Buffer.from(target, 'hex') } }, (err, reply) => {
          clearTimeout(timer)
          resolve({ err, reply })
        })
      })
      if (result.err) return { ok: false, error: String(result.err.message || result.err) }
      const r = result.reply && result.reply.r
      if (!r || !Buffer.isBuffer(r.id) || r.id.length !== 20) return { ok: false, error: 'reply without a 20-byte r.id' }
      return { ok: true, id: r.id.toString('hex'), nodes: compactNodes(r.nodes) }
    }
    case 'put': {
      // BEP 44 put: a get traversal for write tokens (bittorrent-dht's _preput), then put to the
      // closest nodes that gave one. The value is stored as a bencoded byte string. With `seed`,
      // a mutable item signed with that ed25519 key (`sequence` required, the item's seq: `seq`
      // is the protocol's; `salt`, `cas` optional).
      if (typeof cmd.value !== 'string') throw new CommandError('value must be a string')
      const opts = { v: Buffer.from(cmd.value, 'utf8') }
      let publicKey = null
      if (cmd.seed !== undefined) {
        const key = signingKey(cmd.seed)
        publicKey = key.publicKey
        if (!Number.isInteger(cmd.sequence)) throw new CommandError('sequence must be an integer for a mutable put')
        opts.k = key.publicKey
        opts.seq = cmd.sequence
        opts.sign = buf => crypto.sign(null, buf, key.privateKey)
        if (cmd.salt !== undefined) opts.salt = Buffer.from(String(cmd.salt), 'utf8')
        if (cmd.cas !== undefined) opts.cas = cmd.cas
      }
      const timeoutMs = timeoutArg(cmd.timeout, ANNOUNCE_TIMEOUT) * 1000
      const result = await new Promise(resolve => {
        const timer = setTimeout(() => resolve({ err: new Error('put did not finish within timeout') }), timeoutMs)
        dht.put(opts, (err, hash, n) => {
          clearTimeout(timer)
          resolve({ err, hash, n })
        })
      })
      const reply = { ok: !result.err, sent_to: result.n ?? 0 }
      if (result.hash) reply.target = Buffer.from(result.hash).toString('hex')
      if (publicKey) reply.public_key = publicKey.toString('hex')
      if (result.err) reply.error = String(result.err.message || result.err)
      return reply
    }
    case 'get': {
      // BEP 44 get: bittorrent-dht's lookup keeps a value only if it hashes to the target
      // (immutable) or verifies with `verify` for its key and the salt given (mutable; the
      // highest seq). `stored_locally`: the client already held the item before the lookup
      // (then it may answer from its own store).
      const target = hexIdArg(cmd.target, 'target')
      const timeoutMs = timeoutArg(cmd.timeout) * 1000
      const storedLocally = dht._values.peek(target) !== undefined
      const before = { ...verified }
      const opts = { cache: false }
      if (cmd.salt !== undefined) opts.salt = Buffer.from(String(cmd.salt), 'utf8')
      const result = await new Promise(resolve => {
        const timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs)
        dht.get(target, opts, (err, item) => {
          clearTimeout(timer)
          resolve({ err, item })
        })
      })
      if (result.timedOut) return { ok: true, found: false, timed_out: true, stored_locally: storedLocally }
      if (result.err) return { ok: false, error: String(result.err.message || result.err) }
      const reply = {
        ok: true,
        found: !!result.item,
        stored_locally: storedLocally,
        signatures_valid: verified.valid - before.valid,
        signatures_invalid: verified.invalid - before.invalid
      }
      return result.item ? { ...reply, ...itemJson(result.item) } : reply
    }
    case 'routing_table':
      return { ok: true, nodes: routingTable(dht) }
    case 'quit':
      return { ok: true, quit: true }
    default:
      throw new CommandError(`unknown cmd ${JSON.stringify(cmd.cmd)}`)
  }
}

async function main () {
  let args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (e) {
    emit({ event: 'error', error: e.message })
    process.exitCode = 2
    return
  }
  if (!onlyLoopbackInterfaces()) {
    emit({ event: 'error', error: "not in a loopback-only network namespace: run me under unshare --net -- bash -c 'ip link set lo up && exec ...'" })
    process.exitCode = 2
    return
  }

  // bootstrap: false, or it queries its public routers; listen at once on the loopback
  // address, or it binds 0.0.0.0.
  const dht = new DHT({ bootstrap: false, verify: ed25519Verify })
  dht.on('error', err => {
    emit({ event: 'error', error: String(err.message || err) })
    log(`fatal: ${err.stack || err}`)
    process.exit(1)
  })
  dht.on('warning', err => { if (args.verbose) log(`warning: ${err.message || err}`) })
  if (args.verbose) {
    dht.on('node', n => log(`node added ${n.host}:${n.port} ${Buffer.from(n.id).toString('hex')}`))
    dht.on('announce', (peer, ih) => log(`stored peer ${peer.host}:${peer.port} for ${Buffer.from(ih).toString('hex')}`))
    dht._rpc.socket.on('query', (q, rinfo) => log(`<== query ${q.q} from ${rinfo.address}:${rinfo.port}`))
  }
  await new Promise(resolve => dht.listen(args.port, args.bind, resolve))
  const addr = dht.address()
  if (addr.address !== args.bind) {
    emit({ event: 'error', error: `bound ${addr.address}, expected ${args.bind}` })
    process.exit(1)
  }
  emit({ event: 'ready', port: addr.port, id: Buffer.from(dht.nodeId).toString('hex'), host: args.bind, client: CLIENT })
  log(`ready on ${args.bind}:${addr.port}, node id ${Buffer.from(dht.nodeId).toString('hex')}`)

  const rl = readline.createInterface({ input: process.stdin, terminal: false })
  const inflight = new Set()
  let quitting = false

  const shutdown = () => {
    if (quitting) return
    quitting = true
    rl.close()
    dht.destroy(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  }

  rl.on('line', line => {
    if (quitting) return
    line = line.trim()
    if (!line) return
    let cmd
    try {
      cmd = JSON.parse(line)
      if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) throw new CommandError('command must be a JSON object')
    } catch (e) {
      emit({ seq: null, ok: false, error: e.message })
      return
    }
    const seq = cmd.seq ?? null
    const p = handle(dht, cmd).then(reply => {
      const quit = reply.quit
      delete reply.quit
      emit({ seq, ...reply })
      if (quit) shutdown()
    }, err => {
      emit({ seq, ok: false, error: String(err.message || err) })
    })
    inflight.add(p)
    p.finally(() => inflight.delete(p))
  })
  rl.on('close', () => {
    if (quitting) return
    log('stdin closed, exiting')
    shutdown()
  })
}

main()
