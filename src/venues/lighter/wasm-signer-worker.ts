/**
 * The worker thread that hosts the Go WASM signer. It is plain JavaScript in a string, run with
 * `new Worker(source, { eval: true })`, so it works the same under tsx and from compiled output
 * (a bundler's helpers never leak into it) and needs no file next to the compiled code.
 *
 * The Go runtime reads the wall clock through `new Date()` (wasm_exec.js `runtime.walltime`),
 * and the signer stamps each transaction's ExpiredAt from it. The worker pins that clock for
 * the duration of each call to the time the caller chose, so ExpiredAt is exactly what the
 * broker asked for, on the broker's injected clock, and conformance vectors reproduce.
 *
 * Protocol (structured-clone messages):
 * - workerData: { wasmPath, wasmExecPath, url, keys: [{ privateKey, apiKeyIndex }], chainId,
 *   accountIndex, canary: { chainId, apiKeyIndex, accountIndex, wallMs, args } }; one Go client
 *   per key (the Go signer keeps its clients by account and API key, and every call names both)
 * - worker → main once: { type: 'ready', canaryHash } or { type: 'fatal', error }
 * - main → worker: { id, op, args, wallMs }; op is a global the Go program registered
 *   (SignCreateOrder, SignCancelOrder, SignCancelAllOrders, SignModifyOrder, CreateAuthToken)
 * - worker → main: { id, result } or { id, error }
 */
export const WASM_SIGNER_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const vm = require('node:vm');

const RealDate = Date;
let pinned;
class PinnedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0 && pinned !== undefined) super(pinned);
    else super(...args);
  }
  static now() {
    return pinned !== undefined ? pinned : RealDate.now();
  }
}
globalThis.Date = PinnedDate;

function call(op, args, wallMs) {
  const fn = globalThis[op];
  if (typeof fn !== 'function') return { error: 'signer has no function ' + op };
  pinned = wallMs;
  try {
    return fn(...args);
  } finally {
    pinned = undefined;
  }
}

function fail(error) {
  parentPort.postMessage({ type: 'fatal', error: String((error && error.message) || error) });
}

function main() {
try {
  vm.runInThisContext(readFileSync(workerData.wasmExecPath, 'utf8'), {
    filename: workerData.wasmExecPath,
  });
} catch (error) {
  fail(error);
  return;
}
const go = new globalThis.Go();
WebAssembly.instantiate(readFileSync(workerData.wasmPath), go.importObject).then(({ instance }) => {
  go.run(instance).catch(fail);
  const canary = workerData.canary;
  const first = workerData.keys[0];
  let made = globalThis.CreateClient(
    workerData.url, first.privateKey, canary.chainId, canary.apiKeyIndex, canary.accountIndex);
  if (made && made.error) return fail(made.error);
  const signed = call('SignCreateOrder', canary.args, canary.wallMs);
  if (signed && signed.error) return fail(signed.error);
  for (const key of workerData.keys) {
    made = globalThis.CreateClient(
      workerData.url, key.privateKey, workerData.chainId, key.apiKeyIndex,
      workerData.accountIndex);
    if (made && made.error) return fail('API key ' + key.apiKeyIndex + ': ' + made.error);
  }
  parentPort.on('message', (message) => {
    let reply;
    try {
      const result = call(message.op, message.args, message.wallMs);
      reply = result && result.error ? { id: message.id, error: String(result.error) }
        : { id: message.id, result: { ...result } };
    } catch (error) {
      reply = { id: message.id, error: String((error && error.message) || error) };
    }
    parentPort.postMessage(reply);
  });
  parentPort.postMessage({ type: 'ready', canaryHash: signed.txHash, canaryInfo: signed.txInfo });
}, fail);
}
main();
`;
