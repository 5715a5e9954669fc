// The TCP mode of the Node.js demo service (issue 15), the counterpart of
// services/java/JsonTcpService.java: persistent connections, each framed as its first byte says —
// bb-tsprobe's 24-byte header (body_len at bytes 16-17) + JSON body, or one JSON object per line —
// JSON.parse, garbage at a configurable rate so V8's collector really runs, JSON.stringify, reply.
// No tracing code: pauses come from V8 itself (gc-observer.cjs, preloaded from outside).
// With --forward it is the front of a two-service chain (one downstream connection per client connection).
//
// node json-tcp-service.mjs --bind IP --port P [--alloc-kb N] [--retain N] [--gc-every-ms MS]
//      [--forward IP:PORT] [--crash-after N]      (--gc-every-ms needs node --expose-gc)
import net from 'node:net';
import { demoOptions, HDR, MAGIC, makeWorker, repFrame } from './demo-common.mjs';

const o = demoOptions('json-tcp-service');
const { port, crashAfter } = o;
const work = makeWorker(o.allocKb, o.retain);
let served = 0;

/** Bytes of the complete frame at the start of buf; 0 = incomplete, -1 = not a frame. */
function frameLength(buf) {
  if (buf.length === 0) return 0;
  if (buf[0] === 0x7b) {
    const nl = buf.indexOf(0x0a);
    return nl < 0 ? 0 : nl + 1;
  }
  if (buf.length < HDR) return 0;
  if (buf.readUInt32LE(0) !== MAGIC) return -1;
  const len = HDR + buf.readUInt16LE(16);
  return buf.length >= len ? len : 0;
}

/** Calls onFrame for every complete frame as bytes arrive; onBad when the stream is not framed. */
function framer(onFrame, onBad) {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let len;
    while ((len = frameLength(pending)) > 0) {
      onFrame(pending.subarray(0, len));
      pending = pending.subarray(len);
    }
    if (len < 0) onBad();
  };
}

function reply(frame) {
  const line = frame[0] === 0x7b;
  const body = work(line ? frame.toString('utf8', 0, frame.length - 1) : frame.toString('utf8', HDR));
  return line ? Buffer.concat([body, Buffer.from('\n')]) : repFrame(frame, body);
}

function served1() {
  served++;
  if (crashAfter > 0 && served >= crashAfter && !o.forward) {
    console.error(`crashing on purpose after ${served} requests (--crash-after)`);
    process.exit(70);
  }
}

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  const bad = () => {
    console.error('json-tcp-service: a request that is neither a bb-tsprobe header frame nor a JSON line; closing the connection');
    sock.destroy();
  };
  let next = null;
  if (o.forward) {
    // The hop: one downstream connection per client connection; TCP keeps the replies in order.
    const colon = o.forward.lastIndexOf(':');
    next = net.connect({ host: o.forward.slice(0, colon), port: Number(o.forward.slice(colon + 1)), noDelay: true });
    next.on(
      'data',
      framer((f) => sock.write(f), bad),
    );
    next.on('error', () => sock.destroy());
    sock.on('close', () => next.destroy());
  }
  sock.on(
    'data',
    framer((frame) => {
      if (next) next.write(frame);
      else {
        let out;
        try {
          out = reply(frame);
        } catch (err) {
          console.error(`json-tcp-service: bad request: ${err.message}`);
          return;
        }
        sock.write(out);
      }
      served1();
    }, bad),
  );
  sock.on('error', () => {});
});
server.listen(port, o.bind, () => console.log(`listening tcp ${o.bind}:${port}${o.forward ? ` forwarding to ${o.forward}` : ''}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
