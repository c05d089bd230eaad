/**
 * A raw client of the Lighter emulator for its tests: HTTP GET/POST, sendTx, a WebSocket that
 * records every frame, an emulator per test, and a signer holding the emulator's API key.
 */
import { WebSocket } from 'ws';
import type { LighterEmulator } from '../../../src/emulators/lighter/index.ts';
import {
  LIGHTER_EMULATOR_ACCOUNT_INDEX,
  LIGHTER_EMULATOR_API_KEY_INDEX,
  LIGHTER_EMULATOR_CHAIN_ID,
  LIGHTER_EMULATOR_PRIVATE_KEY,
  startLighterEmulator,
} from '../../../src/emulators/lighter/index.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { createFakeSigner } from '../../../src/venues/lighter/fake-signer.ts';
import type { CreateOrderTx } from '../../../src/venues/lighter/signer.ts';
import { until } from './harness.ts';

/** A signer holding the emulator's API key (signs for real, deterministically) */
export const fake = createFakeSigner({
  privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
  accountIndex: LIGHTER_EMULATOR_ACCOUNT_INDEX,
  apiKeyIndex: LIGHTER_EMULATOR_API_KEY_INDEX,
  chainId: LIGHTER_EMULATOR_CHAIN_ID,
  clock: systemClock,
});

/** A limit order on ETH, 0.01 at 1990, with overrides */
export const limit = (overrides: Partial<CreateOrderTx> = {}): CreateOrderTx => ({
  marketIndex: 0,
  clientOrderIndex: 1001,
  baseAmount: 100,
  price: 199000,
  isAsk: false,
  orderType: 0,
  timeInForce: 1,
  reduceOnly: false,
  triggerPrice: 0,
  orderExpiry: Date.now() + 86_400_000,
  ...overrides,
});

export async function post(emulator: LighterEmulator, path: string, form: Record<string, string>) {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function get(emulator: LighterEmulator, path: string) {
  const response = await fetch(`${emulator.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export const sendTx = (emulator: LighterEmulator, txType: number, txInfo: string) =>
  post(emulator, '/api/v1/sendTx', { tx_type: String(txType), tx_info: txInfo });

/** A WebSocket client that records every frame */
export async function connect(emulator: LighterEmulator) {
  const socket = new WebSocket(emulator.wsUrl);
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) =>
    frames.push(JSON.parse(data.toString()) as Record<string, unknown>),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    send: (frame: unknown) => socket.send(JSON.stringify(frame)),
    async next(
      predicate: (frame: Record<string, unknown>) => boolean,
      what: string,
      timeoutMs?: number,
    ) {
      await until(() => frames.some(predicate), what, timeoutMs);
      return frames.find(predicate) as Record<string, unknown>;
    },
    close: () => socket.close(),
  };
}

/** Runs against a fresh emulator with ETH quoted 2000 / 2001 (5 each side) */
export async function withEmulator(run: (emulator: LighterEmulator) => Promise<void>) {
  const emulator = await startLighterEmulator({});
  try {
    emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
    await run(emulator);
  } finally {
    await emulator.close();
  }
}
