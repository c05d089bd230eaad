import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SimulatedClock } from './clock.ts';
import { HealthMonitor } from './health-monitor.ts';

describe('HealthMonitor', () => {
  it('measures submit latency per exchange by clientId on the injected clock', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    for (let i = 1; i <= 100; i++) health.recordSubmitRequest('A', `c${i}`);
    for (let i = 1; i <= 100; i++) {
      clock.advanceTo(i);
      health.recordSubmitResponse('A', `c${i}`, true);
    }
    health.recordSubmitRequest('B', 'c1');
    clock.advanceTo(150);
    health.recordSubmitResponse('B', 'c1', false);
    const a = health.submitLatency('A');
    assert.equal(a.count, 100);
    // Nearest rank, reported at the top of its histogram bucket (within 0.1%)
    assert.equal(a.p50, 50.015);
    assert.equal(a.p90, 90.047);
    assert.equal(a.p99, 99.007);
    assert.equal(a.mean, 50.5);
    assert.equal(a.max, 100);
    assert.equal(health.submitLatency('B').p50, 50, 'B was requested at 100, answered at 150');
    const b = health.snapshot().exchanges.find((e) => e.exchange === 'B');
    assert.equal(b?.counts.rejected, 1);
  });

  it('ignores a response nobody asked for, and a second response for one request', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    health.recordSubmitResponse('A', 'ghost', true);
    health.recordSubmitRequest('A', 'x');
    clock.advanceTo(5);
    health.recordSubmitResponse('A', 'x', true);
    clock.advanceTo(9);
    health.recordSubmitResponse('A', 'x', true);
    assert.equal(health.submitLatency('A').count, 1);
    assert.equal(health.submitLatency('A').max, 5);
  });

  it('matches answers in any order with many requests in flight; a request made again replaces the old', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    for (let i = 0; i < 50; i++) {
      clock.advanceTo(i);
      health.recordSubmitRequest('A', `c${i}`);
    }
    clock.advanceTo(100);
    // Newest first, then the oldest: both ends of the requests in flight
    for (let i = 49; i >= 25; i--) health.recordSubmitResponse('A', `c${i}`, true);
    for (let i = 0; i < 25; i++) health.recordSubmitResponse('A', `c${i}`, true);
    const stats = health.submitLatency('A');
    assert.equal(stats.count, 50);
    assert.equal(stats.max, 100, 'c0, requested at 0');
    assert.equal(stats.mean, 75.5, 'each answer matched its own request');
    health.recordCancelRequest('A', 'x');
    clock.advanceTo(110);
    health.recordCancelRequest('A', 'x');
    clock.advanceTo(115);
    health.recordCancelResponse('A', 'x', true);
    assert.equal(health.cancelLatency('A').max, 5, 'timed from the second request');
    const snapshot = health.snapshot().exchanges[0];
    assert.equal(snapshot?.outstandingSubmits, 0);
    assert.equal(snapshot?.outstandingCancels, 0);
  });

  it('expires unanswered requests into the timeout count', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock, requestTimeoutMs: 1000 });
    health.recordSubmitRequest('A', 'slow');
    health.recordCancelRequest('A', 'slow-cancel');
    clock.advanceTo(500);
    health.recordSubmitRequest('A', 'fresh');
    clock.advanceTo(1001);
    const snapshot = health.snapshot().exchanges[0];
    assert.equal(snapshot?.counts.timedOut, 1);
    assert.equal(snapshot?.counts.cancelTimedOut, 1);
    assert.equal(snapshot?.outstandingSubmits, 1);
    health.recordSubmitResponse('A', 'slow', true);
    assert.equal(health.submitLatency('A').count, 0, 'an expired request gives no sample');
  });

  it('keeps a bounded set of outstanding requests', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock, maxOutstanding: 3 });
    for (let i = 0; i < 10; i++) health.recordSubmitRequest('A', `open${i}`);
    const snapshot = health.snapshot().exchanges[0];
    assert.equal(snapshot?.outstandingSubmits, 3);
    assert.equal(snapshot?.counts.timedOut, 7);
  });

  it('gives percentiles over the whole run, with n for the whole run', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    // 196 121 samples, past any window of 65 536: a slow first fifth the p90 must remember
    const n = 196_121;
    for (let i = 0; i < n; i++) {
      health.recordSubmitRequest('A', `c${i}`);
      clock.advanceTo(clock.now() + (i < n / 5 ? 100 : 1 + (i % 2) / 2));
      health.recordSubmitResponse('A', `c${i}`, true);
      clock.advanceTo(clock.now() + 3_600_000);
    }
    const stats = health.submitLatency('A');
    assert.equal(stats.count, n);
    assert.equal(stats.max, 100);
    assert.ok(stats.p90 !== null && Math.abs(stats.p90 - 100) <= 0.1, `p90 ${stats.p90}`);
    assert.equal(stats.p50, 1.5);
  });

  it('gives the same percentiles when asked midway as when asked once at the end', () => {
    const feed = (health: HealthMonitor, clock: SimulatedClock, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        health.recordSubmitRequest('A', `c${i}`);
        clock.advanceTo(clock.now() + 1 + ((i * 7919) % 1000) / 10);
        health.recordSubmitResponse('A', `c${i}`, true);
      }
    };
    const onceClock = new SimulatedClock(0);
    const once = new HealthMonitor({ clock: onceClock });
    feed(once, onceClock, 0, 700);
    const midwayClock = new SimulatedClock(0);
    const midway = new HealthMonitor({ clock: midwayClock });
    feed(midway, midwayClock, 0, 300);
    const early = midway.submitLatency('A');
    assert.equal(early.count, 300);
    feed(midway, midwayClock, 300, 650);
    midway.submitLatency('A');
    feed(midway, midwayClock, 650, 700);
    assert.deepEqual(midway.submitLatency('A'), once.submitLatency('A'));
    assert.notDeepEqual(early, once.submitLatency('A'));
  });

  it('has no percentiles for an empty series: null', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    health.recordSubmitRequest('A', 'x');
    clock.advanceTo(3);
    health.recordSubmitResponse('A', 'x', true);
    const cancel = health.cancelLatency('A');
    assert.deepEqual(cancel, { count: 0, p50: null, p90: null, p99: null, mean: null, max: null });
  });

  it('keeps the percentiles within 0.1% of the exact ones, never below', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock });
    const values: number[] = [];
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const ms = Math.round((seed / 2 ** 31) ** 3 * 5_000_000) / 1000;
      values.push(ms);
      health.recordSubmitRequest('A', `c${i}`);
      clock.advanceTo(clock.now() + ms);
      health.recordSubmitResponse('A', `c${i}`, true);
    }
    values.sort((a, b) => a - b);
    const stats = health.submitLatency('A');
    for (const [q, got] of [
      [0.5, stats.p50],
      [0.9, stats.p90],
      [0.99, stats.p99],
    ] as const) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      assert.ok(
        got !== null && got >= exact && got <= exact * 1.001 + 0.001,
        `p${q}: ${got} vs ${exact}`,
      );
    }
  });

  it('matches answers to requests as a map of open requests would, whatever the order and gaps', () => {
    // Model: the open requests by id in request order (a request made again replaces the old
    // one); an answer takes its own request's time. A request sweeps when a sweep interval (a
    // tenth of the timeout) has passed since the last sweep, or past the bound: requests older
    // than the timeout expire, and the oldest beyond the bound. A snapshot sweeps always
    const step = fc.record({
      request: fc.boolean(),
      id: fc.integer({ min: 0, max: 40 }),
      advance: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 }), fc.constant(400)),
    });
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 400 }),
        fc.integer({ min: 3, max: 30 }),
        (steps, max) => {
          const clock = new SimulatedClock(0);
          const timeout = 1000;
          const health = new HealthMonitor({
            clock,
            requestTimeoutMs: timeout,
            maxOutstanding: max,
          });
          const open = new Map<string, number>();
          let timedOut = 0;
          let nextSweep = Number.NEGATIVE_INFINITY;
          const latencies: number[] = [];
          const expire = (now: number) => {
            for (const [id, at] of open) {
              if (at > now - timeout && open.size <= max) break;
              open.delete(id);
              timedOut += 1;
            }
          };
          for (const { request, id, advance } of steps) {
            clock.advanceTo(clock.now() + advance);
            const now = clock.now();
            const name = `c${id}`;
            if (request) {
              health.recordSubmitRequest('A', name);
              open.delete(name);
              open.set(name, now);
              if (now >= nextSweep || open.size > max) {
                nextSweep = now + timeout / 10;
                expire(now);
              }
            } else {
              health.recordSubmitResponse('A', name, true);
              const at = open.get(name);
              if (at !== undefined) {
                open.delete(name);
                latencies.push(now - at);
              }
            }
          }
          const snapshot = health.snapshot().exchanges[0];
          expire(clock.now());
          assert.equal(snapshot?.outstandingSubmits ?? 0, open.size);
          assert.equal(snapshot?.counts.timedOut ?? 0, timedOut);
          assert.equal(snapshot?.submitLatency.count ?? 0, latencies.length);
          if (latencies.length > 0)
            assert.equal(snapshot?.submitLatency.max, Math.max(...latencies));
        },
      ),
      { numRuns: 300 },
    );
  });
});
