// A small, ordinary Node.js UDP service for bypassbench's service attribution (issue 15), the
// counterpart of services/java/JsonUdpService.java: bb-tsprobe framing (24-byte header + JSON
// body), JSON.parse, garbage at a configurable rate so V8's collector really runs, JSON.stringify,
// reply. No tracing code: pauses come from V8 itself (gc-observer.cjs, preloaded from outside).
// With --forward it is the front of a two-service chain.
//
// node json-udp-service.mjs --bind IP --port P [--alloc-kb N] [--retain N] [--gc-every-ms MS]
//      [--forward IP:PORT] [--crash-after N]      (--gc-every-ms needs node --expose-gc)
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const MAGIC = 0x53544242; // "BBTS" little endian
const HDR = 24;
const [REQ, REP, FLUSH, FLUSH_REP] = [1, 2, 3, 4];

const { values: o } = parseArgs({
  options: {
    bind: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string' },
    'alloc-kb': { type: 'string', default: '0' },
    retain: { type: 'string', default: '64' },
    'gc-every-ms': { type: 'string', default: '0' },
    forward: { type: 'string' },
    'crash-after': { type: 'string', default: '0' },
  },
});
const port = Number(o.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('json-udp-service: --port must be 1..65535');
  process.exit(2);
}
const allocKb = Number(o['alloc-kb']);
const kept = new Array(Math.max(1, Number(o.retain)));
const crashAfter = Number(o['crash-after']);
const gcEveryMs = Number(o['gc-every-ms']);
if (gcEveryMs > 0) {
  if (typeof globalThis.gc !== 'function') {
    console.error('json-udp-service: --gc-every-ms needs node --expose-gc');
    process.exit(2);
  }
  setInterval(() => globalThis.gc(), gcEveryMs);
}

const sock = dgram.createSocket('udp4');
let served = 0;
let next = null;
const waiting = []; // forwarded requests' clients, in order (UDP in one namespace keeps order)
if (o.forward) {
  const colon = o.forward.lastIndexOf(':');
  next = dgram.createSocket('udp4');
  next.nextPort = Number(o.forward.slice(colon + 1));
  next.nextAddress = o.forward.slice(0, colon);
  next.on('message', (msg) => {
    const to = waiting.shift();
    if (to) sock.send(msg, to.port, to.address);
  });
}

function reply(msg) {
  const bodyLen = msg.readUInt16LE(16);
  const req = JSON.parse(msg.toString('utf8', HDR, HDR + bodyLen));
  // Garbage at the configured rate; a ring keeps some of it alive for a while.
  if (allocKb > 0) kept[served % kept.length] = Array.from({ length: allocKb * 16 }, (_, i) => ({ i, s: 'x'.repeat(40) }));
  const body = Buffer.from(JSON.stringify({ ...req, result: Object.keys(req).length }));
  const out = Buffer.alloc(HDR + body.length);
  msg.copy(out, 0, 0, HDR);
  out.writeUInt8(REP, 5);
  out.writeUInt8(0, 7);
  out.writeUInt16LE(body.length, 16);
  body.copy(out, HDR);
  return out;
}

sock.on('message', (msg, rinfo) => {
  if (msg.length < HDR || msg.readUInt32LE(0) !== MAGIC) return;
  const type = msg.readUInt8(5);
  if (type === FLUSH) {
    const out = Buffer.from(msg.subarray(0, HDR));
    out.writeUInt8(FLUSH_REP, 5);
    out.writeUInt8(0, 7);
    sock.send(out, rinfo.port, rinfo.address);
    return;
  }
  if (type !== REQ) return;
  if (next) {
    waiting.push(rinfo);
    next.send(msg, next.nextPort, next.nextAddress);
  } else {
    let out;
    try {
      out = reply(msg);
    } catch (err) {
      console.error(`json-udp-service: bad request from ${rinfo.address}:${rinfo.port}: ${err.message}`);
      return;
    }
    sock.send(out, rinfo.port, rinfo.address);
  }
  served++;
  if (crashAfter > 0 && served >= crashAfter) {
    console.error(`crashing on purpose after ${served} requests (--crash-after)`);
    process.exit(70);
  }
});
sock.bind(port, o.bind, () => console.log(`listening ${o.bind}:${port}${o.forward ? ` forwarding to ${o.forward}` : ''}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
