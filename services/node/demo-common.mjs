// What the Node.js demo services share (json-udp-service.mjs, json-tcp-service.mjs): their options,
// the forced collections, and the work of one request (decode, garbage at the configured rate so
// V8's collector really runs, encode). No tracing code.
import { parseArgs } from 'node:util';

export const MAGIC = 0x53544242; // "BBTS" little endian
export const HDR = 24;
export const [REQ, REP, FLUSH, FLUSH_REP] = [1, 2, 3, 4];

/** The options both services take (`name` prefixes their errors); exits 2 on a bad one. */
export function demoOptions(name) {
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
    console.error(`${name}: --port must be 1..65535`);
    process.exit(2);
  }
  const gcEveryMs = Number(o['gc-every-ms']);
  if (gcEveryMs > 0) {
    // A full collection at known times: tests check that the runtime shows it.
    if (typeof globalThis.gc !== 'function') {
      console.error(`${name}: --gc-every-ms needs node --expose-gc`);
      process.exit(2);
    }
    setInterval(() => globalThis.gc(), gcEveryMs);
  }
  return { bind: o.bind, port, allocKb: Number(o['alloc-kb']), retain: Number(o.retain), forward: o.forward, crashAfter: Number(o['crash-after']) };
}

/** The work of one request: its JSON body decoded, garbage made, the reply body encoded. */
export function makeWorker(allocKb, retain) {
  const kept = new Array(Math.max(1, retain));
  let n = 0;
  return (json) => {
    const req = JSON.parse(json);
    // Garbage at the configured rate; a ring keeps some of it alive for a while.
    if (allocKb > 0) kept[n++ % kept.length] = Array.from({ length: allocKb * 16 }, (_, i) => ({ i, s: 'x'.repeat(40) }));
    return Buffer.from(JSON.stringify({ ...req, result: Object.keys(req).length }));
  };
}

/** A REP frame: the request's 24-byte header (its seq) with type REP and the body's length, then the body. */
export function repFrame(requestHeader, body) {
  const out = Buffer.alloc(HDR + body.length);
  requestHeader.copy(out, 0, 0, HDR);
  out.writeUInt8(REP, 5);
  out.writeUInt8(0, 7);
  out.writeUInt16LE(body.length, 16);
  body.copy(out, HDR);
  return out;
}
