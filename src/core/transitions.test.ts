import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTerminal, ORDER_STATUSES } from './order.ts';
import { canTransition, TRANSITIONS } from './transitions.ts';

describe('transition table', () => {
  it('lets any live order reach any terminal status', () => {
    for (const from of ORDER_STATUSES.filter((s) => !isTerminal(s))) {
      for (const to of ORDER_STATUSES.filter(isTerminal))
        assert.ok(canTransition(from, to), `${from} → ${to}`);
    }
  });

  it('gives terminals no way out except the rows that carry a reason', () => {
    for (const from of ORDER_STATUSES.filter(isTerminal)) {
      const row: Record<string, string> = TRANSITIONS[from];
      for (const to of ORDER_STATUSES) {
        assert.equal(canTransition(from, to), row[to] !== undefined, `${from} → ${to}`);
      }
    }
    assert.equal(canTransition('FILLED', 'CANCELED'), false);
    assert.equal(canTransition('REJECTED', 'FILLED'), false);
    assert.equal(canTransition('EXPIRED', 'OPEN'), false);
    assert.equal(canTransition('CANCELED', 'FILLED'), true);
  });

  it('lists non-terminal edges explicitly and refuses the rest', () => {
    assert.equal(canTransition('PENDING', 'OPEN'), true);
    assert.equal(canTransition('OPEN', 'PENDING'), false, 'no way back to PENDING once accepted');
    assert.equal(canTransition('PARTIALLY_FILLED', 'OPEN'), false);
    assert.equal(canTransition('PENDING_CANCEL', 'OPEN'), true);
    assert.equal(canTransition('OPEN', 'OPEN'), false, 'staying put is not a transition');
  });

  it('reinstates an order held REJECTED, CANCELED or LOST that the venue has live, never a FILLED or EXPIRED one', () => {
    for (const from of ['REJECTED', 'CANCELED', 'LOST'] as const) {
      const row: Record<string, string> = TRANSITIONS[from];
      for (const to of ['OPEN', 'PARTIALLY_FILLED'] as const) {
        assert.ok(canTransition(from, to), `${from} → ${to}`);
        assert.match(row[to] ?? '', /venue/, `${from} → ${to} says the venue is the authority`);
      }
      assert.equal(canTransition(from, 'PENDING'), false, 'never back to PENDING');
    }
    for (const from of ['FILLED', 'EXPIRED'] as const)
      for (const to of ORDER_STATUSES.filter((s) => !isTerminal(s)))
        assert.equal(canTransition(from, to), false, `${from} → ${to}`);
  });

  it('gives every listed row a reason', () => {
    for (const row of Object.values(TRANSITIONS)) {
      for (const reason of Object.values(row))
        assert.ok(typeof reason === 'string' && reason.length > 10);
    }
  });
});
