import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from './clock.ts';
import { HealthMonitor, percentile } from './health-monitor.ts';

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
    assert.equal(a.p50, 50.5);
    assert.equal(a.p90, 90.1);
    assert.equal(a.p99, 99.01);
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

  it('keeps a bounded window of samples and of outstanding requests', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock, windowSize: 10, maxOutstanding: 3 });
    for (let i = 0; i < 50; i++) {
      health.recordSubmitRequest('A', `c${i}`);
      clock.advanceTo(clock.now() + i);
      health.recordSubmitResponse('A', `c${i}`, true);
    }
    assert.equal(health.submitLatency('A').count, 10);
    assert.equal(health.submitLatency('A').p50, 44.5, 'only the last 10 samples');
    for (let i = 0; i < 10; i++) health.recordSubmitRequest('A', `open${i}`);
    const snapshot = health.snapshot().exchanges[0];
    assert.equal(snapshot?.outstandingSubmits, 3);
    assert.equal(snapshot?.counts.timedOut, 7);
  });

  it('leaves samples older than the window out of the percentiles', () => {
    const clock = new SimulatedClock(0);
    const health = new HealthMonitor({ clock, windowMs: 1000 });
    health.recordSubmitRequest('A', 'old');
    clock.advanceTo(100);
    health.recordSubmitResponse('A', 'old', true);
    clock.advanceTo(2000);
    assert.equal(health.submitLatency('A').count, 0);
  });

  it('interpolates percentiles linearly', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([], 0.5), 0);
  });
});
