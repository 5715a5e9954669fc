// A small, ordinary Node.js UDP service for bypassbench's service attribution (issue 15), the
// counterpart of services/java/JsonUdpService.java: bb-tsprobe framing (24-byte header + JSON
// body), JSON.parse, garbage at a configurable rate so V8's collector really runs, JSON.stringify,
// reply. No tracing code: pauses come from V8 itself (gc-observer.cjs, preloaded from outside).
// With --forward it is the front of a two-service chain.
//
// node json-udp-service.mjs --bind IP --port P [--alloc-kb N] [--retain N] [--gc-every-ms MS]
//      [--forward IP:PORT] [--crash-after N]      (--gc-every-ms needs node --expose-gc)
import dgram from 'node:dgram';
import { demoOptions, FLUSH, FLUSH_REP, HDR, MAGIC, makeWorker, repFrame, REQ } from './demo-common.mjs';

const o = demoOptions('json-udp-service');
const { port, crashAfter } = o;
const work = makeWorker(o.allocKb, o.retain);

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
  return repFrame(msg, work(msg.toString('utf8', HDR, HDR + bodyLen)));
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
