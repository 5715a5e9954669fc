// `bypassbench attribute --pid` of a running Node.js service: installs (or removes) in it the same
// PerformanceObserver for V8's `gc` entries that services/node/gc-observer.cjs preloads, over the
// service's inspector (Chrome DevTools Protocol on a WebSocket; opened by runners/node-gc-inspector.ts
// with SIGUSR1). Run inside the service's network namespace, where the inspector listens on loopback:
//
//   node --experimental-websocket inspector-gc.mjs install PORT FILE   → {"installed":true,…} or {"already":true,…}
//   node --experimental-websocket inspector-gc.mjs remove PORT CLOSE   → {"removed":true|false,"closing":bool}
//
// install: the observer writes one JSON line per collection into FILE, as the preload does (first
// line: the clock origin, marked "installedBy":"inspector"). remove: disconnects it, closes FILE
// and, when CLOSE is "close" (bypassbench opened the inspector), closes the inspector 100 ms later,
// after this client has gone (inspector.close() waits for open sessions). The functions run in the
// service's global scope; their arguments go as CDP call arguments, never spliced into code.

import { installGcObserver } from './gc-observer-install.cjs';

const [mode, portArg, arg] = process.argv.slice(2);
const port = Number(portArg);
if (!['install', 'remove'].includes(mode ?? '') || !Number.isInteger(port) || port < 1 || port > 65535 || arg === undefined) {
  console.error('usage: inspector-gc.mjs install PORT FILE | remove PORT close|keep');
  process.exit(2);
}

/* Keeps the observer (gc-observer-install.cjs, the preload's) on globalThis under a registered
 * symbol, so that it stays alive after the session ends and remove finds it. */
function install(file, installGcObserver) {
  const key = Symbol.for('bypassbench.gcObserver');
  if (globalThis[key]) return JSON.stringify({ already: true, file: globalThis[key].file, pid: process.pid });
  const { obs, fd } = installGcObserver(file, 'inspector');
  globalThis[key] = { obs, fd, file };
  return JSON.stringify({ installed: true, file, pid: process.pid });
}

function remove(close) {
  const key = Symbol.for('bypassbench.gcObserver');
  const state = globalThis[key];
  if (state) {
    state.obs.disconnect();
    process.getBuiltinModule('node:fs').closeSync(state.fd);
    delete globalThis[key];
  }
  if (close === 'close') setTimeout(() => process.getBuiltinModule('node:inspector').close(), 100).unref();
  return JSON.stringify({ removed: Boolean(state), closing: close === 'close' });
}

/** One CDP session: the inspector's target, then globalThis, then the function called on it with `arg`. */
async function main() {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const url = list[0]?.webSocketDebuggerUrl;
  if (typeof url !== 'string') throw new Error(`no inspector target on 127.0.0.1:${port}`);
  const ws = new WebSocket(url);
  const pending = new Map();
  let nextId = 1;
  const send = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data));
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
    else p.resolve(msg.result);
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot open ${url}`)), { once: true });
  });
  const global = await send('Runtime.evaluate', { expression: 'globalThis' });
  // Our own functions' source (never input): install gets the observer's function as its second argument.
  const fn = mode === 'install' ? `function (file) { return (${install.toString()})(file, ${installGcObserver.toString()}); }` : remove.toString();
  const r = await send('Runtime.callFunctionOn', {
    objectId: global.result.objectId,
    functionDeclaration: fn,
    arguments: [{ value: arg }],
    returnByValue: true,
  });
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
  process.stdout.write(`${r.result.value}\n`);
  ws.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`inspector-gc: ${err.message}`);
    process.exit(1);
  },
);
