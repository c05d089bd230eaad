import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BTC_PERP } from '../../test/helpers/instruments.ts';
import { parsePrometheus, sampleOf } from '../../test/helpers/prometheus.ts';
import { limitBuy } from '../../test/helpers/requests.ts';
import { KestrelError } from '../core/errors.ts';
import { clientOrderId, tradeId, venueOrderId } from '../core/ids.ts';
import type { JournalBacklog, JournalHealth } from '../journal/journal.ts';
import { AccountProcessor } from './account-processor.ts';
import { SimulatedClock } from './clock.ts';
import { HealthMonitor } from './health-monitor.ts';
import { createMetricsRegistry } from './metrics-registry.ts';

describe('metrics registry', () => {
  it('exports latencies, counts, positions, balances, open orders and journal lag', async () => {
    const clock = new SimulatedClock(1_000);
    const health = new HealthMonitor({ clock });
    health.recordSubmitRequest('TEST', 'a');
    clock.advanceTo(1_002.5);
    health.recordSubmitResponse('TEST', 'a', true);
    health.recordSubmitRequest('odd"name', 'b');
    health.recordStreamState('TEST', true);
    const account = new AccountProcessor({
      exchange: 'TEST',
      clock,
      balances: [{ currency: 'USDT', total: 1000, free: 900, locked: 100 }],
    });
    for (const [id, price] of [
      ['o1', 100],
      ['o2', 99],
    ] as const)
      account.processOrderRequest(limitBuy(id, 0.5, price));
    account.apply({
      type: 'orderFilled',
      exchange: 'TEST',
      clientId: clientOrderId('o1'),
      venueOrderId: venueOrderId('v1'),
      fill: {
        tradeId: tradeId('t1'),
        instrument: BTC_PERP,
        side: 'BUY',
        quantity: 0.2,
        price: 100,
        liquidity: 'MAKER',
        time: 1_003,
      },
      time: 1_003,
    });
    let journalHealth: JournalHealth = { state: 'ok' };
    const backlog: JournalBacklog = { entries: 3, oldestMs: 42, written: 17 };
    const registry = createMetricsRegistry(
      {
        health: () => health,
        account: () => account,
        journal: () => ({ health: journalHealth, backlog: () => backlog }),
      },
      { labels: { owner: 'ka' } },
    );
    const metrics = parsePrometheus(await registry.metrics());
    const latency = metrics.get('kestrel_submit_latency_ms');
    assert.equal(latency?.type, 'SUMMARY');
    const test = latency?.samples.find((s) => s.labels['exchange'] === 'TEST');
    assert.equal(test?.quantiles?.['0.5'], 2.5);
    assert.equal(test?.count, 1);
    assert.equal(test?.labels['owner'], 'ka', 'the owner labels every series');
    assert.equal(metrics.get('kestrel_submitted_total')?.type, 'COUNTER');
    assert.equal(sampleOf(metrics, 'kestrel_submitted_total', { exchange: 'odd"name' }), 1);
    assert.equal(sampleOf(metrics, 'kestrel_accepted_total', { exchange: 'TEST' }), 1);
    assert.equal(
      sampleOf(metrics, 'kestrel_outstanding_requests', { exchange: 'odd"name', kind: 'submit' }),
      1,
    );
    assert.equal(sampleOf(metrics, 'kestrel_stream_connected', { exchange: 'TEST' }), 1);
    assert.equal(sampleOf(metrics, 'kestrel_position', { symbol: 'BTCUSDT' }), 0.2);
    assert.equal(sampleOf(metrics, 'kestrel_position_entry_price', { symbol: 'BTCUSDT' }), 100);
    const usdt = account.getBalances().find((b) => b.currency === 'USDT');
    assert.equal(usdt?.free, 899.996, 'the maker fee came off');
    assert.equal(
      sampleOf(metrics, 'kestrel_balance', { currency: 'USDT', part: 'free' }),
      usdt?.free,
    );
    assert.equal(
      sampleOf(metrics, 'kestrel_open_orders', { symbol: 'BTCUSDT', status: 'PARTIALLY_FILLED' }),
      1,
    );
    assert.equal(
      sampleOf(metrics, 'kestrel_open_orders', { symbol: 'BTCUSDT', status: 'PENDING' }),
      1,
    );
    assert.equal(sampleOf(metrics, 'kestrel_journal_lag_entries'), 3);
    assert.equal(sampleOf(metrics, 'kestrel_journal_lag_ms'), 42);
    assert.equal(sampleOf(metrics, 'kestrel_journal_written_seq'), 17);
    assert.equal(sampleOf(metrics, 'kestrel_journal_state'), 0);

    journalHealth = {
      state: 'failing',
      error: new KestrelError('JOURNAL_FAILED', 'disk full'),
      since: 0,
      attempts: 2,
      unwritten: 3,
    };
    const later = parsePrometheus(await registry.metrics());
    assert.equal(sampleOf(later, 'kestrel_journal_state'), 1, 'read again at each scrape');
  });

  it('serves empty series before the run has its parts, and a series for an exchange with no samples yet', async () => {
    const clock = new SimulatedClock(0);
    let health: HealthMonitor | undefined;
    const registry = createMetricsRegistry({ health: () => health });
    assert.equal(
      parsePrometheus(await registry.metrics()).get('kestrel_position')?.samples.length,
      0,
    );
    health = new HealthMonitor({ clock });
    health.recordCancelRequest('TEST', 'x');
    const metrics = parsePrometheus(await registry.metrics());
    const submit = metrics.get('kestrel_submit_latency_ms')?.samples[0];
    assert.equal(submit?.count, 0);
    assert.equal(submit?.sum, 0);
    assert.ok(Number.isNaN(submit?.quantiles?.['0.5']), 'no samples: NaN, as Prometheus writes it');
  });
});
