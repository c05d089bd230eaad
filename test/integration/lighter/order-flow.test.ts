/**
 * The Lighter order flow end to end: TradingManager → LighterBroker → transactions signed by the
 * real Go WASM signer → the local Lighter emulator on 127.0.0.1 → the account stream → the
 * account's single writer. One WASM signer serves the whole file (it takes ~250 ms to start).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIGHTER_EMULATOR_PRIVATE_KEY } from '../../../src/emulators/lighter/index.ts';
import type { CancelTx, ModifyTx } from '../../../src/emulators/lighter/tx.ts';
import { systemClock } from '../../../src/engine/clock.ts';
import { CLIENT_ORDER_INDEX_OPTION } from '../../../src/venues/lighter/broker.ts';
import { txHashOf } from '../../../src/venues/lighter/crypto/lighter-hash.ts';
import { createFakeSigner } from '../../../src/venues/lighter/fake-signer.ts';
import type { LighterSigner } from '../../../src/venues/lighter/signer.ts';
import { limit } from './emulator-client.ts';
import type { Harness } from './harness.ts';
import {
  creates,
  emulatorWasmSigner,
  startHarness,
  until,
  withHarness as withSigner,
} from './harness.ts';

let signer: LighterSigner;

before(async () => {
  signer = await emulatorWasmSigner();
});

after(async () => {
  await signer.close();
});

const withHarness = (run: (h: Harness) => Promise<void>) => withSigner(run, { signer });

describe('lighter order flow against the emulator (real WASM signatures)', () => {
  it('lighter async order submission: tracked PENDING at once, OPEN when the stream speaks', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const clientId = h.trading.tradeAsync(eth, 0.05, 1990.5, { postOnly: true });
      assert.equal(h.account.findOrder(clientId)?.status, 'PENDING', 'tracked before any I/O');
      await until(() => h.account.findOrder(clientId)?.status === 'OPEN', 'the accept');
      const order = h.account.findOrder(clientId);
      const [tx] = creates(h);
      assert.ok(tx);
      assert.equal(
        order?.venueOrderId !== undefined && Number(order.venueOrderId) >= 2 ** 48,
        true,
      );
      assert.equal(tx.BaseAmount, 500, '0.05 ETH at 4 size decimals');
      assert.equal(tx.Price, 199050, '1990.5 at 2 price decimals');
      assert.equal(tx.TimeInForce, 2, 'post-only');
      assert.equal(tx.IsAsk, 0);
      assert.ok(tx.OrderExpiry > Date.now() + 27 * 86_400_000, 'GTT expiry 28 days out');
      assert.equal(h.health.submitLatency('lighter').count, 1);
      assert.deepEqual(
        h.changes.filter((c) => c.clientId === clientId).map((c) => c.change),
        ['requested', 'accepted'],
      );
    });
  });

  it('lighter client order index matching: the index on the wire is the correlation key fills resolve by', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const before = Date.now();
      const resting = await h.trading.trade(eth, 0.02, 1999);
      const tracked = h.account.findOrder(resting.clientId);
      const index = Number(tracked?.correlationKey);
      assert.ok(Number.isSafeInteger(index) && index >= 1 && index <= 2 ** 48 - 1);
      assert.ok(index >= before, 'seeded from the clock: restart-safe without a journal');
      const [tx] = creates(h);
      assert.equal(tx?.ClientOrderIndex, index);
      // The market trades through the order: the fill names it by its client order index only
      h.emulator.setQuote('ETH', 1997, 1998.5, { bid: 5, ask: 5 });
      await until(() => h.account.findOrder(resting.clientId)?.status === 'FILLED', 'the fill');
      const fill = h.events.find((e) => e.type === 'orderFilled');
      assert.ok(fill?.type === 'orderFilled');
      assert.equal(fill.correlationKey, String(index));
      assert.equal(h.account.getPosition(eth).quantity, 0.02);
      assert.equal(h.account.counters.unmatchedFills, 0);
      const second = await h.trading.trade(eth, 0.01, 1990);
      assert.ok(Number(h.account.findOrder(second.clientId)?.correlationKey) > index, 'monotonic');
    });
  });

  it('lighter preserves client id: every callback, fill and cancel carries the one we chose', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const clientId = h.trading.tradeAsync(eth, -0.02, 2010, { clientId: 'strategy-A.7' });
      assert.equal(clientId, 'strategy-A.7');
      await until(() => h.account.findOrder(clientId)?.status === 'OPEN', 'the accept');
      h.emulator.printTrade('ETH', 2010.5, 0.01, 'BUY');
      await until(
        () => h.account.findOrder(clientId)?.status === 'PARTIALLY_FILLED',
        'a partial fill',
      );
      await h.trading.cancelOrder(clientId);
      await until(() => h.account.findOrder(clientId)?.status === 'CANCELED', 'the cancel');
      const order = h.account.findOrder(clientId);
      assert.equal(order?.clientId, 'strategy-A.7');
      assert.equal(order?.filledQuantity, 0.01);
      assert.ok(h.changes.length >= 5 && h.changes.every((c) => c.clientId === 'strategy-A.7'));
      const fills = h.events.filter((e) => e.type === 'orderFilled');
      assert.equal(fills.length, 1);
      assert.ok(fills.every((e) => e.type === 'orderFilled' && e.fill.clientId === 'strategy-A.7'));
      assert.equal(h.health.cancelLatency('lighter').count, 1);
    });
  });

  it('batch submission with mixed outcomes: one sendTxBatch, each order PENDING until the stream speaks', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      h.emulator.faults.holdExecution();
      const submitted = h.trading.submitOrders([
        { instrument: eth, amount: 0.01, price: 2001, postOnly: true },
        { instrument: eth, amount: 0.01, price: 1995 },
        { instrument: eth, amount: 0.01, price: 2001 },
      ]);
      await until(() => creates(h).length === 3, 'the batch at the venue');
      const ids = h.account.getOrders().map((o) => o.clientId);
      assert.equal(ids.length, 3);
      assert.ok(
        h.account.getOrders().every((o) => o.status === 'PENDING'),
        'the batch reply carries no verdict: all PENDING',
      );
      assert.deepEqual(
        creates(h).map((t) => t.Nonce),
        [0, 1, 2],
        'consecutive nonces of one key',
      );
      h.emulator.faults.releaseExecution();
      const [crossing, resting, taking] = await submitted;
      assert.equal(crossing?.status, 'REJECTED');
      assert.match(crossing?.reason ?? '', /canceled-post-only/);
      assert.equal(resting?.status, 'OPEN');
      await until(
        () => h.account.findOrder(taking?.clientId ?? '')?.status === 'FILLED',
        'the taker fill',
      );
      assert.equal(h.account.getPosition(eth).quantity, 0.01);
    });
  });

  it('cancel of a pending order by client order index, before its order index is known', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      h.emulator.faults.holdExecution();
      const clientId = h.trading.tradeAsync(eth, 0.01, 1980);
      await until(() => creates(h).length === 1, 'the create at the venue');
      const order = h.account.findOrder(clientId);
      assert.equal(order?.status, 'PENDING');
      assert.equal(order?.venueOrderId, undefined, 'no order index yet');
      await h.trading.cancelOrder(clientId);
      assert.equal(h.account.findOrder(clientId)?.status, 'PENDING_CANCEL');
      const cancel = h.emulator.exchange
        .acceptedTransactions()
        .find((t): t is CancelTx => t.txType === 15);
      assert.equal(cancel?.Index, Number(order?.correlationKey), 'canceled by client order index');
      assert.equal(cancel?.Nonce, 1, 'queued right behind its create');
      h.emulator.faults.releaseExecution();
      await until(() => h.account.findOrder(clientId)?.status === 'CANCELED', 'the cancel');
      assert.equal(h.emulator.venue.openOrders().length, 0);
    });
  });

  it('concurrent submits with no nonce reuse, across a nonce race with another client', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const first = await h.trading.trade(eth, 0.01, 1899);
      assert.equal(first.status, 'OPEN');
      // Another client of the same key takes two nonces: ours is stale now
      h.emulator.faults.nonceRace(2);
      const ids: string[] = [first.clientId];
      for (let i = 0; i < 11; i++) ids.push(h.trading.tradeAsync(eth, 0.01, 1900 + i));
      await until(
        () => ids.every((id) => h.account.findOrder(id)?.status === 'OPEN'),
        'every accept',
      );
      const nonces = creates(h).map((t) => t.Nonce);
      assert.equal(new Set(nonces).size, 12, 'no nonce used twice');
      assert.deepEqual(
        nonces,
        [...nonces].sort((a, b) => a - b),
        'in nonce order',
      );
      assert.equal(h.venue.stats().nonceResyncs, 1, 'one resync from nextNonce after the race');
      const indexes = creates(h).map((t) => t.ClientOrderIndex);
      assert.equal(new Set(indexes).size, 12, 'client order indexes unique');
    });
  });

  it('smoke flow: a minimum-size post-only order far from the touch, acknowledged, canceled by client order index', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const quote = h.venue.quote(eth);
      assert.ok(quote);
      const far = Math.round(quote.bid * 0.8 * 100) / 100;
      const size = Math.max(eth.minSize, Math.ceil((eth.minNotional / far) * 10_000) / 10_000);
      const order = await h.trading.trade(eth, size, far, { postOnly: true });
      assert.equal(order.status, 'OPEN');
      await h.trading.cancelOrder(order.clientId);
      await until(() => h.account.findOrder(order.clientId)?.status === 'CANCELED', 'the cancel');
      const cancel = h.emulator.exchange
        .acceptedTransactions()
        .find((t): t is CancelTx => t.txType === 15);
      assert.equal(cancel?.Index, Number(h.account.findOrder(order.clientId)?.correlationKey));
      const submit = h.health.submitLatency('lighter');
      const cancelLatency = h.health.cancelLatency('lighter');
      assert.equal(submit.count, 1);
      assert.equal(cancelLatency.count, 1);
      assert.ok((submit.p50 ?? 0) > 0 && (cancelLatency.p50 ?? 0) > 0);
    });
  });

  it('amends in place: modify by client order index moves the price', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const order = await h.trading.trade(eth, 0.02, 1990);
      await h.trading.updateOrder(order.clientId, { price: 1992.25 });
      await until(() => h.account.findOrder(order.clientId)?.price === 1992.25, 'the amend');
      const modify = h.emulator.exchange
        .acceptedTransactions()
        .find((t): t is ModifyTx => t.txType === 17);
      assert.equal(modify?.Index, Number(h.account.findOrder(order.clientId)?.correlationKey));
      assert.equal(modify?.Price, 199225);
      assert.equal(modify?.BaseAmount, 200);
      assert.equal(h.emulator.venue.openOrders()[0]?.price, 1992.25);
    });
  });

  it('market orders carry a worst price from the touch and fill IOC; cancel-all clears the rest', async () => {
    await withHarness(async (h) => {
      const eth = h.instrument('ETH');
      const resting = await h.trading.trade(eth, 0.01, 1950);
      const market = await h.trading.trade(eth, 0.02, undefined);
      await until(
        () => h.account.findOrder(market.clientId)?.status === 'FILLED',
        'the market fill',
      );
      const tx = creates(h).find((t) => t.Type === 1);
      assert.equal(tx?.TimeInForce, 0);
      assert.equal(tx?.OrderExpiry, 0);
      assert.equal(tx?.Price, 210105, 'ask 2001 + 5 %, rounded up to the tick');
      // The account's average is a float quotient (core does not snap it); compare in ticks
      assert.equal(
        Math.round((h.account.findOrder(market.clientId)?.averageFillPrice ?? 0) * 100),
        200100,
      );
      await h.venue.broker.cancelAllOrders();
      await until(() => h.account.findOrder(resting.clientId)?.status === 'CANCELED', 'cancel-all');
    });
  });

  it('adopts an order placed by another client of the account as EXTERNAL', async () => {
    await withHarness(async (h) => {
      const other = createFakeSigner({
        privateKey: LIGHTER_EMULATOR_PRIVATE_KEY,
        accountIndex: h.emulator.accountIndex,
        apiKeyIndex: h.emulator.apiKeyIndex,
        chainId: h.emulator.chainId,
        clock: systemClock,
      });
      const nonce = h.emulator.exchange.nextNonce(h.emulator.apiKeyIndex) ?? 0;
      const tx = await other.signCreateOrder(limit({ clientOrderIndex: 0, price: 198000 }), {
        nonce,
      });
      h.emulator.exchange.submit(tx.txType, tx.txInfo);
      await until(() => h.account.getOrders().some((o) => o.origin === 'EXTERNAL'), 'the adoption');
      const adopted = h.account.getOrders().find((o) => o.origin === 'EXTERNAL');
      assert.match(adopted?.clientId ?? '', /^ext:\d+$/);
      assert.equal(adopted?.price, 1980);
      // Our next order still goes through, with its own client order index
      const ours = await h.trading.trade(h.instrument('ETH'), 0.01, 1970);
      assert.equal(ours.status, 'OPEN');
      assert.match(h.account.findOrder(ours.clientId)?.correlationKey ?? '', /^\d+$/);
      const request = h.events.find(
        (e) => e.type === 'orderRequested' && e.request.clientId === ours.clientId,
      );
      assert.ok(request?.type === 'orderRequested');
      assert.equal(
        request.request.options[CLIENT_ORDER_INDEX_OPTION],
        Number(h.account.findOrder(ours.clientId)?.correlationKey),
        'the broker put the index in options; the clientId is untouched',
      );
    });
  });
});

describe('lighter venue-hash check against the emulator', () => {
  it('is on for the emulator, which answers the hash it recomputed, and flags a signer whose hash is not what it signed', async () => {
    // A signer that reports a hash other than the one its signature covers: the emulator answers
    // the true hash, and the check must say so
    const lying: LighterSigner = {
      ...signer,
      signCreateOrder: async (tx, options) => {
        const signed = await signer.signCreateOrder(tx, options);
        return { ...signed, txHash: '00'.repeat(40) };
      },
    };
    const h = await startHarness({ signer: lying });
    try {
      assert.equal(h.config.checkTxHash, true, 'the default, the emulator included');
      h.emulator.setQuote('ETH', 2000, 2001, { bid: 5, ask: 5 });
      const clientId = h.trading.tradeAsync(h.instrument('ETH'), 0.05, 1990.5, { postOnly: true });
      await until(() => h.account.findOrder(clientId)?.status === 'OPEN', 'the accept');
      const flagged = h.logger.records.filter(
        (r) => r.level === 'error' && r.message.includes('tx hash differs'),
      );
      assert.equal(flagged.length, 1);
      const [tx] = creates(h);
      assert.ok(tx);
      assert.equal(
        flagged[0]?.fields['venue'],
        txHashOf(h.emulator.chainId, 14, tx).toString('hex'),
        'the venue answered the hash of what was signed',
      );
    } finally {
      await h.close();
    }
  });
});
