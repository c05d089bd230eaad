import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIM_ETH_SPOT } from '../../../test/helpers/instruments.ts';
import type { Instrument } from '../../core/instrument.ts';
import { createInstrument } from '../../core/instrument.ts';
import type { BookSnapshot, Quote, Trade } from '../../core/market-data.ts';
import { money } from '../../core/numeric.ts';
import type { Side } from '../../core/order.ts';
import { simInstrument } from '../../runtime/instruments.ts';
import type { SimOrderInput, SimReport, SimVenueOptions } from './sim-venue.ts';
import { SimVenue } from './sim-venue.ts';

const BTC: Instrument = simInstrument('BTCUSDT');

const SPOT: Instrument = SIM_ETH_SPOT;

/** Coarse steps, so a price or quantity can be within precision and still off the grid */
const SOL: Instrument = createInstrument({
  symbol: 'SOLUSDT',
  exchange: 'sim',
  marketType: 'SWAP',
  base: 'SOL',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.5,
  lotSize: 0.05,
  minSize: 0.1,
  makerFee: 0.0002,
  takerFee: 0.0005,
});

/** A venue on `instruments` holding `cash` USDT, with any other options */
function venueWith(
  cash: number,
  instruments: Instrument[],
  options: Omit<Partial<SimVenueOptions>, 'instruments' | 'balances'> = {},
): SimVenue {
  return new SimVenue({
    exchange: 'sim',
    instruments,
    balances: [{ currency: 'USDT', total: cash, free: cash, locked: 0 }],
    ...options,
  });
}

function venue(rules?: SimVenueOptions['rules']) {
  return venueWith(100_000, [BTC, SPOT, SOL], rules === undefined ? {} : { rules });
}

const quote = (bid: number, ask: number, bidSize = 1, askSize = 1, instrument = BTC): Quote => ({
  type: 'quote',
  instrument,
  time: 0,
  bid,
  bidSize,
  ask,
  askSize,
});

const trade = (price: number, size: number, side: Side = 'SELL'): Trade => ({
  type: 'trade',
  instrument: BTC,
  time: 0,
  price,
  size,
  side,
});

/** A book whose asks rise in three steps: 0.02 at 100, 0.05 at 100.2, 1 at 100.5 */
const STAIRS: BookSnapshot = {
  type: 'book',
  instrument: BTC,
  time: 0,
  bids: [[99.9, 1]],
  asks: [
    [100, 0.02],
    [100.2, 0.05],
    [100.5, 1],
  ],
};

let counter = 0;
function order(patch: Partial<SimOrderInput>): SimOrderInput {
  counter += 1;
  return {
    clientId: `c${counter}`,
    symbol: 'BTCUSDT',
    side: 'BUY',
    type: 'LIMIT',
    quantity: 0.1,
    price: 100,
    timeInForce: 'GTC',
    ...patch,
  };
}

/** A market order (IOC, no price) */
function marketOrder(patch: Partial<SimOrderInput>): SimOrderInput {
  return order({ type: 'MARKET', price: undefined, timeInForce: 'IOC', ...patch });
}

const kinds = (reports: readonly SimReport[]) => reports.map((r) => r.type);
const fills = (reports: readonly SimReport[]) =>
  reports.flatMap((r) =>
    r.type === 'fill' ? [[r.order.clientId, r.quantity, r.price, r.liquidity] as const] : [],
  );

describe('SimVenue: limit orders', () => {
  it('rests a passive limit and fills it at its own price when the quote crosses it', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1), 0);
    const placed = v.submit(order({ clientId: 'bid', price: 100 }), 1);
    assert.deepEqual(kinds(placed), ['accepted']);
    assert.deepEqual(
      fills(v.onQuote(quote(99.8, 99.9, 1, 0.04), 2)),
      [['bid', 0.04, 100, 'MAKER']],
      'bounded by the quote size',
    );
    assert.equal(v.order({ clientId: 'bid' })?.status, 'PARTIALLY_FILLED');
    assert.deepEqual(
      fills(v.onQuote(quote(99.5, 100, 1, 5), 3)),
      [['bid', 0.06, 100, 'MAKER']],
      'the ask at our price fills the rest',
    );
    assert.equal(v.order({ clientId: 'bid' })?.status, 'FILLED');
    assert.equal(v.openOrders().length, 0);
  });

  it('fills an inside-spread order when a trade prints through it', () => {
    const v = venue();
    v.onQuote(quote(99, 101), 0);
    v.submit(order({ clientId: 'inside', price: 100 }), 1);
    assert.deepEqual(
      fills(v.onTrade(trade(100, 5), 2)),
      [],
      'a print at our price is not through it',
    );
    assert.deepEqual(fills(v.onTrade(trade(99.9, 0.03), 3)), [['inside', 0.03, 100, 'MAKER']]);
  });

  it('sweeps resting orders by a trade in price-then-time order, bounded by its size', () => {
    const v = venue();
    v.onQuote(quote(99, 101), 0);
    v.submit(order({ clientId: 'low', price: 99.5, quantity: 0.1 }), 1);
    v.submit(order({ clientId: 'high-first', price: 100, quantity: 0.1 }), 2);
    v.submit(order({ clientId: 'high-second', price: 100, quantity: 0.1 }), 3);
    assert.deepEqual(fills(v.onTrade(trade(99.4, 0.25), 4)), [
      ['high-first', 0.1, 100, 'MAKER'],
      ['high-second', 0.1, 100, 'MAKER'],
      ['low', 0.05, 99.5, 'MAKER'],
    ]);
  });

  it('takes the touch as a crossing limit and rests the remainder', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1, 1, 0.03), 0);
    const reports = v.submit(order({ clientId: 'cross', price: 100.5, quantity: 0.1 }), 1);
    assert.deepEqual(kinds(reports), ['accepted', 'fill']);
    assert.deepEqual(
      fills(reports),
      [['cross', 0.03, 100.1, 'TAKER']],
      'at the touch, not the limit',
    );
    assert.equal(v.openOrders().length, 1, 'the rest rests');
    assert.deepEqual(
      fills(v.submit(order({ clientId: 'late', price: 100.5, quantity: 0.01 }), 2)),
      [],
      'taken liquidity stays taken',
    );
  });

  it('walks the book when depth is known', () => {
    const v = venue();
    v.onBook(STAIRS, 0);
    const reports = v.submit(marketOrder({ clientId: 'walk', quantity: 0.1 }), 1);
    assert.deepEqual(fills(reports), [
      ['walk', 0.02, 100, 'TAKER'],
      ['walk', 0.05, 100.2, 'TAKER'],
      ['walk', 0.03, 100.5, 'TAKER'],
    ]);
  });

  it('keeps walking the last book behind a newer quote', () => {
    const v = venue();
    v.onBook(STAIRS, 0);
    // The touch moved up past the book's first level: depth behind it still counts
    v.onQuote(quote(100, 100.1, 1, 0.01), 1);
    const reports = v.submit(marketOrder({ clientId: 'walk', quantity: 0.1 }), 2);
    assert.deepEqual(fills(reports), [
      ['walk', 0.01, 100.1, 'TAKER'],
      ['walk', 0.05, 100.2, 'TAKER'],
      ['walk', 0.04, 100.5, 'TAKER'],
    ]);
  });

  it('rejects a post-only order that would cross, and rests one that does not', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1), 0);
    const crossing = v.submit(order({ price: 100.1, timeInForce: 'GTX' }), 1);
    assert.equal(crossing[0]?.type, 'rejected');
    assert.equal(crossing[0]?.type === 'rejected' && crossing[0].code, '-5022');
    assert.deepEqual(kinds(v.submit(order({ price: 100, timeInForce: 'GTX' }), 2)), ['accepted']);
  });
});

describe('SimVenue: time in force and market orders', () => {
  it('fills what an IOC can now and cancels the rest', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1, 1, 0.04), 0);
    const reports = v.submit(order({ clientId: 'ioc', price: 100.1, timeInForce: 'IOC' }), 1);
    assert.deepEqual(kinds(reports), ['accepted', 'fill', 'canceled']);
    assert.deepEqual(fills(reports), [['ioc', 0.04, 100.1, 'TAKER']]);
    assert.equal(v.order({ clientId: 'ioc' })?.filled, 0.04);
  });

  it('fills a FOK in full or not at all', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1, 1, 0.05), 0);
    assert.deepEqual(
      kinds(v.submit(order({ clientId: 'fok-big', price: 100.1, timeInForce: 'FOK' }), 1)),
      ['accepted', 'canceled'],
    );
    assert.equal(v.order({ clientId: 'fok-big' })?.filled, 0);
    assert.deepEqual(
      fills(
        v.submit(
          order({ clientId: 'fok-ok', price: 100.1, quantity: 0.05, timeInForce: 'FOK' }),
          2,
        ),
      ),
      [['fok-ok', 0.05, 100.1, 'TAKER']],
    );
  });

  it('takes the touch with a market order and cancels what the touch cannot fill', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1, 0.05, 1), 0);
    const reports = v.submit(marketOrder({ clientId: 'mkt', side: 'SELL' }), 1);
    assert.deepEqual(fills(reports), [['mkt', 0.05, 99.9, 'TAKER']]);
    assert.equal(reports.at(-1)?.type, 'canceled');
  });

  it('refuses a market order with no market', () => {
    const v = venue();
    const reports = v.submit(marketOrder({}), 0);
    assert.equal(reports[0]?.type === 'rejected' && reports[0].code, '-2020');
  });

  it('implies the touch from trades when there are no quotes', () => {
    const v = venue();
    v.onTrade(trade(100, 0.5, 'BUY'), 0);
    const reports = v.submit(marketOrder({ clientId: 'buy', quantity: 0.2 }), 1);
    assert.deepEqual(fills(reports), [['buy', 0.2, 100, 'TAKER']]);
  });
});

describe('SimVenue: stops', () => {
  it('triggers a stop-market on a trade through its stop and fills it as taker', () => {
    const v = venue();
    v.onTrade(trade(100, 1), 0);
    const placed = v.submit(
      order({
        clientId: 'stop',
        side: 'SELL',
        type: 'STOP_MARKET',
        price: undefined,
        stopPrice: 99,
        timeInForce: 'IOC',
      }),
      1,
    );
    assert.deepEqual(kinds(placed), ['accepted']);
    assert.deepEqual(kinds(v.onTrade(trade(99.5, 1), 2)), [], 'not yet');
    const reports = v.onTrade(trade(98.9, 1), 3);
    assert.deepEqual(kinds(reports), ['triggered', 'fill']);
    assert.deepEqual(fills(reports), [['stop', 0.1, 98.9, 'TAKER']]);
  });

  it('turns a triggered stop-limit into a resting limit', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1), 0);
    v.submit(
      order({
        clientId: 'sl',
        side: 'BUY',
        type: 'STOP_LIMIT',
        price: 101,
        stopPrice: 100.5,
        timeInForce: 'GTC',
      }),
      1,
    );
    const reports = v.onQuote(quote(101.1, 101.3), 2);
    assert.deepEqual(kinds(reports), ['triggered']);
    assert.equal(v.openOrders()[0]?.triggered, true);
    assert.deepEqual(fills(v.onQuote(quote(100.5, 100.9), 3)), [['sl', 0.1, 101, 'MAKER']]);
  });

  it('fills a buy stop triggered by a print through a stale ask at the print, not the ask', () => {
    const v = venue();
    v.onQuote(quote(102, 103), 0);
    v.submit(order({ clientId: 'up', type: 'STOP_MARKET', price: undefined, stopPrice: 104 }), 1);
    const reports = v.onTrade(trade(110, 1, 'BUY'), 2);
    assert.deepEqual(kinds(reports), ['triggered', 'fill']);
    assert.deepEqual(fills(reports), [['up', 0.1, 110, 'TAKER']], 'never the stale 103');
    assert.equal(v.order({ clientId: 'up' })?.triggerPrice, 110);
  });

  it('fills a sell stop triggered by a print through a stale bid at the print, not the bid', () => {
    const v = venue();
    v.onQuote(quote(97, 98), 0);
    v.submit(
      order({
        clientId: 'down',
        side: 'SELL',
        type: 'STOP_MARKET',
        price: undefined,
        stopPrice: 96,
      }),
      1,
    );
    assert.deepEqual(fills(v.onTrade(trade(90, 1), 2)), [['down', 0.1, 90, 'TAKER']]);
  });

  it('fills a stop at the touch after the trigger where that is worse than the print', () => {
    const v = venue();
    v.onBook(
      {
        type: 'book',
        instrument: BTC,
        time: 0,
        bids: [[102, 1]],
        asks: [
          [103, 0.04],
          [112, 1],
        ],
      },
      0,
    );
    v.submit(order({ clientId: 'deep', type: 'STOP_MARKET', price: undefined, stopPrice: 104 }), 1);
    assert.deepEqual(fills(v.onTrade(trade(110, 1, 'BUY'), 2)), [
      ['deep', 0.04, 110, 'TAKER'],
      ['deep', 0.06, 112, 'TAKER'],
    ]);
  });

  it('fills a stop triggered by the quote at that quote', () => {
    const v = venue();
    v.onQuote(quote(102, 103), 0);
    v.submit(order({ clientId: 'gap', type: 'STOP_MARKET', price: undefined, stopPrice: 104 }), 1);
    assert.deepEqual(fills(v.onQuote(quote(107, 108), 2)), [['gap', 0.1, 108, 'TAKER']]);
  });

  it('keeps a stop-limit within its limit: no fill past it at the trigger, a maker fill at the limit later', () => {
    const v = venue();
    v.onQuote(quote(102, 103), 0);
    v.submit(order({ clientId: 'capped', type: 'STOP_LIMIT', price: 106, stopPrice: 104 }), 1);
    v.submit(order({ clientId: 'roomy', type: 'STOP_LIMIT', price: 112, stopPrice: 104 }), 1);
    const reports = v.onTrade(trade(110, 1, 'BUY'), 2);
    assert.deepEqual(
      fills(reports),
      [['roomy', 0.1, 110, 'TAKER']],
      'the print fired both; only the one whose limit allows 110 takes',
    );
    assert.equal(v.order({ clientId: 'capped' })?.status, 'NEW', 'rests at its limit');
    assert.deepEqual(fills(v.onQuote(quote(105, 105.5), 3)), [['capped', 0.1, 106, 'MAKER']]);
  });

  it('refuses a stop that would trigger at once', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1), 0);
    const reports = v.submit(
      order({
        side: 'BUY',
        type: 'STOP_MARKET',
        price: undefined,
        stopPrice: 100,
        timeInForce: 'IOC',
      }),
      1,
    );
    assert.equal(reports[0]?.type === 'rejected' && reports[0].code, '-2021');
  });
});

describe('SimVenue: rejections, reduce-only, ledger', () => {
  it('answers bad input with venue-style reason codes', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1), 0);
    const cases: Array<[string, Partial<SimOrderInput>, string]> = [
      ['unknown symbol', { symbol: 'DOGEUSDT' }, '-1121'],
      ['quantity past its precision', { quantity: 0.0105 }, '-1111'],
      ['price past its precision', { price: 100.05 }, '-1111'],
      ['below the minimum quantity', { symbol: 'SOLUSDT', quantity: 0.05, price: 150 }, '-4004'],
      ['off the lot', { symbol: 'SOLUSDT', quantity: 0.12, price: 150 }, '-4023'],
      ['off the tick', { symbol: 'SOLUSDT', quantity: 1, price: 150.2 }, '-4014'],
      ['price not positive', { price: -1 }, '-4001'],
      ['zero quantity', { quantity: 0 }, '-4003'],
      ['position side in one-way mode', { positionSide: 'LONG' }, '-4061'],
      ['below min notional', { quantity: 0.001, price: 100 }, '-4164'],
      ['limit without price', { price: undefined }, '-1102'],
      ['far too big for the margin', { quantity: 100_000, price: 100 }, '-2019'],
    ];
    for (const [name, patch, code] of cases) {
      const [report] = v.submit(order(patch), 1);
      assert.equal(report?.type === 'rejected' && report.code, code, name);
    }
    v.submit(order({ clientId: 'dup' }), 1);
    const [duplicate] = v.submit(order({ clientId: 'dup' }), 2);
    assert.equal(duplicate?.type === 'rejected' && duplicate.code, '-4116');
    const [unknown] = v.cancel({ clientId: 'nope' }, 3);
    assert.equal(unknown?.type === 'cancelRejected' && unknown.code, '-2011');
  });

  it('rejects a reduce-only order that would increase the position, and trims one that exceeds it', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100.1, 10, 10), 0);
    const [flat] = v.submit(marketOrder({ side: 'SELL', reduceOnly: true }), 1);
    assert.equal(flat?.type === 'rejected' && flat.code, '-2022');
    v.submit(marketOrder({ quantity: 0.2 }), 2);
    const trimmed = v.submit(
      marketOrder({ clientId: 'ro', side: 'SELL', quantity: 0.5, reduceOnly: true }),
      3,
    );
    assert.deepEqual(fills(trimmed), [['ro', 0.2, 99.9, 'TAKER']]);
    assert.equal(v.getPosition('BTCUSDT')?.quantity, 0);
  });

  it('keeps the venue ledger: position, realized PnL and fees from the schedule', () => {
    const v = venue();
    v.onQuote(quote(99.9, 100, 10, 10), 0);
    v.submit(marketOrder({ quantity: 1 }), 1);
    v.onQuote(quote(110, 110.1, 10, 10), 2);
    v.submit(marketOrder({ side: 'SELL', quantity: 1 }), 3);
    const position = v.getPosition('BTCUSDT');
    assert.equal(position?.quantity, 0);
    assert.equal(position?.realizedPnl, 10);
    // 10 realized − (100 × 5 bp) − (110 × 5 bp)
    assert.equal(v.getBalances().find((b) => b.currency === 'USDT')?.total, 100_009.895);
  });

  it('moves base and quote on spot and refuses a buy the quote balance cannot pay', () => {
    const v = venueWith(1000, [SPOT]);
    v.onQuote(quote(1999, 2000, 5, 5, SPOT), 0);
    const [tooBig] = v.submit(marketOrder({ symbol: 'ETH/USDT', quantity: 1 }), 1);
    assert.equal(tooBig?.type === 'rejected' && tooBig.code, '-2010');
    v.submit(marketOrder({ symbol: 'ETH/USDT', quantity: 0.4 }), 2);
    const balances = Object.fromEntries(v.getBalances().map((b) => [b.currency, b.total]));
    assert.deepEqual(balances, { USDT: 199.2, ETH: 0.4 });
  });

  it('amends price (losing priority) and quantity, and refuses amends of unknown orders', () => {
    const v = venue();
    v.onQuote(quote(99, 101), 0);
    v.submit(order({ clientId: 'a', price: 100 }), 1);
    v.submit(order({ clientId: 'b', price: 100 }), 2);
    assert.deepEqual(kinds(v.amend({ clientId: 'a' }, { price: 100, quantity: 0.2 }, 3)), [
      'amended',
    ]);
    assert.deepEqual(
      fills(v.onTrade(trade(99.9, 0.1), 4)),
      [['b', 0.1, 100, 'MAKER']],
      'a went to the back of the queue',
    );
    const [refused] = v.amend({ clientId: 'ghost' }, { price: 1 }, 5);
    assert.equal(refused?.type, 'amendRejected');
  });
});

describe('SimVenue: venue rules where venues differ', () => {
  const binance = {
    unfilledRemainder: 'EXPIRED',
    fillOrKill: 'refuse',
    marketWithoutLiquidity: 'close',
  } as const;

  it('ends IOC and market remainders EXPIRED under EXPIRED rules, CANCELED by default', () => {
    for (const [rules, ending] of [
      [binance, 'expired'],
      [undefined, 'canceled'],
    ] as const) {
      const v = venue(rules);
      v.onQuote(quote(99.9, 100.1, 1, 0.05), 0);
      const ioc = v.submit(order({ clientId: 'ioc', price: 100.1, timeInForce: 'IOC' }), 1);
      assert.deepEqual(kinds(ioc), ['accepted', 'fill', ending]);
      assert.equal(v.order({ clientId: 'ioc' })?.status, ending.toUpperCase());
      v.onQuote(quote(99.9, 100.1, 1, 0.05), 2);
      const market = v.submit(marketOrder({}), 3);
      assert.deepEqual(kinds(market), ['accepted', 'fill', ending]);
    }
  });

  it('refuses a FOK that cannot fill in full with -5021 under refuse rules, fills one that can', () => {
    const v = venue(binance);
    v.onQuote(quote(99.9, 100.1, 1, 0.05), 0);
    const [refused] = v.submit(order({ price: 100.1, timeInForce: 'FOK' }), 1);
    assert.equal(refused?.type === 'rejected' && refused.code, '-5021');
    assert.equal(v.openOrders().length, 0);
    const filled = v.submit(order({ price: 100.1, quantity: 0.05, timeInForce: 'FOK' }), 2);
    assert.deepEqual(kinds(filled), ['accepted', 'fill']);
  });

  it('accepts a market order on an empty book and ends it unfilled under close rules', () => {
    const v = venue(binance);
    const reports = v.submit(marketOrder({}), 1);
    assert.deepEqual(kinds(reports), ['accepted', 'expired']);
  });

  it('expires a live order on demand (good-till-date) and reports nothing for an unknown one', () => {
    const v = venue();
    v.onQuote(quote(99, 101), 0);
    v.submit(order({ clientId: 'gtd', price: 100 }), 1);
    assert.deepEqual(kinds(v.expire({ clientId: 'gtd' }, 2)), ['expired']);
    assert.equal(v.order({ clientId: 'gtd' })?.status, 'EXPIRED');
    assert.deepEqual(v.expire({ clientId: 'gtd' }, 3), []);
  });
});

describe('SimVenue: hedge mode and leverage', () => {
  it('keeps a LONG and a SHORT position per instrument; a closing order reduces only its side', () => {
    const v = venue();
    v.setPositionMode('HEDGE');
    v.onQuote(quote(99.9, 100.1, 10, 10), 0);
    const [noSide] = v.submit(marketOrder({}), 1);
    assert.equal(noSide?.type === 'rejected' && noSide.code, '-4061');
    const long = { type: 'MARKET', price: undefined, timeInForce: 'IOC' } as const;
    v.submit(order({ ...long, side: 'BUY', positionSide: 'LONG', quantity: 0.3 }), 2);
    v.submit(order({ ...long, side: 'SELL', positionSide: 'SHORT', quantity: 0.2 }), 3);
    const sides = () =>
      v
        .getPositions()
        .map((p) => [p.positionSide, p.quantity])
        .sort();
    assert.deepEqual(sides(), [
      ['LONG', 0.3],
      ['SHORT', -0.2],
    ]);
    // Selling the LONG side closes it, capped at what it holds; the SHORT side is untouched
    v.submit(order({ ...long, side: 'SELL', positionSide: 'LONG', quantity: 0.5 }), 4);
    assert.deepEqual(sides(), [
      ['LONG', 0],
      ['SHORT', -0.2],
    ]);
    const [nothingToClose] = v.submit(
      order({ ...long, side: 'SELL', positionSide: 'LONG', quantity: 0.1 }),
      5,
    );
    assert.equal(nothingToClose?.type === 'rejected' && nothingToClose.code, '-2022');
    assert.throws(() => v.setPositionMode('ONE_WAY'), /open orders or positions/);
  });

  it('marks both sides of a hedged instrument, and the one-way position after a switch back', () => {
    const v = venue();
    v.setPositionMode('HEDGE');
    v.onQuote(quote(99.9, 100.1, 10, 10), 0);
    const market = { type: 'MARKET', price: undefined, timeInForce: 'IOC' } as const;
    v.submit(order({ ...market, side: 'BUY', positionSide: 'LONG', quantity: 0.3 }), 1);
    v.submit(order({ ...market, side: 'SELL', positionSide: 'SHORT', quantity: 0.2 }), 2);
    v.onQuote(quote(109.9, 110.1, 10, 10), 3);
    const marks = () =>
      (['LONG', 'SHORT', undefined] as const).map(
        (side) => v.getPosition(BTC.symbol, side)?.markPrice,
      );
    assert.deepEqual(marks(), [110, 110, undefined]);
    v.submit(order({ ...market, side: 'SELL', positionSide: 'LONG', quantity: 0.3 }), 4);
    v.submit(order({ ...market, side: 'BUY', positionSide: 'SHORT', quantity: 0.2 }), 5);
    v.setPositionMode('ONE_WAY');
    v.submit(order({ ...market, side: 'BUY', quantity: 0.1 }), 6);
    v.onQuote(quote(119.9, 120.1, 10, 10), 7);
    // The hedge-mode positions keep the price they closed at; only the one-way one is marked
    assert.deepEqual(marks(), [109.9, 110.1, 120]);
  });

  it('holds margin at each instrument leverage', () => {
    const v = venueWith(1_000, [BTC], {
      leverage: 20,
    });
    v.onQuote(quote(99.9, 100.1, 100, 100), 0);
    const big = order({ price: 99, quantity: 100 }); // 9 900 notional: 495 at 20x, 9 900 at 1x
    assert.deepEqual(kinds(v.submit(big, 1)), ['accepted']);
    assert.equal(v.getBalances()[0]?.locked, 495);
    v.cancelAll(undefined, 2);
    v.setLeverage('BTCUSDT', 1);
    assert.equal(v.getLeverage('BTCUSDT'), 1);
    const [refused] = v.submit(order({ price: 99, quantity: 100 }), 3);
    assert.equal(refused?.type === 'rejected' && refused.code, '-2019');
  });
});

describe('SimVenue: funding and liquidation', () => {
  const HOUR = 3_600_000;
  const DAY0 = Date.UTC(2026, 0, 1);
  const market = (quantity: number, side: Side = 'BUY') => marketOrder({ side, quantity });
  const funded = (reports: readonly SimReport[]) =>
    reports.flatMap((r) => (r.type === 'funding' ? [[r.fundingId, r.markPrice, r.amount]] : []));
  const usdt = (v: SimVenue) => v.getBalances().find((b) => b.currency === 'USDT');

  it('settles a fixed rate every interval on the position at the mark before the settlement', () => {
    const v = venueWith(10_000, [BTC], {
      funding: { BTCUSDT: { type: 'fixed', rate: 0.0001, intervalMs: 8 * HOUR } },
    });
    v.onQuote(quote(99.9, 100.1, 10, 10), DAY0 + 7 * HOUR);
    v.submit(market(2), DAY0 + 7 * HOUR);
    const before = usdt(v)?.total ?? 0;
    const reports = v.onQuote(quote(101.9, 102.1, 10, 10), DAY0 + 8 * HOUR + 5);
    assert.deepEqual(kinds(reports), ['funding'], 'funding first, then the market moves');
    // A long pays 2 × 100 (the mid until then) × 0.0001
    assert.deepEqual(funded(reports), [[`BTCUSDT:${DAY0 + 8 * HOUR}`, 100, -0.02]]);
    assert.equal(usdt(v)?.total, money(before - 0.02));
    assert.equal(v.getPosition('BTCUSDT')?.funding, -0.02);
    assert.deepEqual(
      funded(v.onQuote(quote(99.9, 100.1, 10, 10), DAY0 + 33 * HOUR)).map(([id]) => id),
      [16, 24, 32].map((h) => `BTCUSDT:${DAY0 + h * HOUR}`),
      'a gap in the data settles every time it spans, in order',
    );
    v.submit(market(2, 'SELL'), DAY0 + 34 * HOUR);
    assert.deepEqual(funded(v.onQuote(quote(99.9, 100.1), DAY0 + 41 * HOUR)), [], 'flat: nothing');
  });

  it('settles a table of times and rates: shorts receive a positive rate and pay a negative one', () => {
    const v = venueWith(10_000, [BTC], {
      funding: {
        BTCUSDT: { type: 'table', times: [DAY0 + HOUR, DAY0 + 2 * HOUR], rates: [0.0003, -0.0002] },
      },
    });
    v.onQuote(quote(99.9, 100.1, 10, 10), DAY0);
    v.submit(market(1, 'SELL'), DAY0);
    assert.deepEqual(kinds(v.advance(DAY0 + HOUR - 1)), [], 'not yet');
    assert.deepEqual(funded(v.advance(DAY0 + HOUR)), [[`BTCUSDT:${DAY0 + HOUR}`, 100, 0.03]]);
    assert.deepEqual(funded(v.advance(DAY0 + 3 * HOUR)), [
      [`BTCUSDT:${DAY0 + 2 * HOUR}`, 100, -0.02],
    ]);
    assert.deepEqual(funded(v.advance(DAY0 + 99 * HOUR)), [], 'the table has ended');
    assert.equal(v.getPosition('BTCUSDT')?.funding, 0.01);
  });

  it('refuses funding for an instrument that is not a perpetual of the venue', () => {
    for (const symbol of ['ETH/USDT', 'DOGEUSDT']) {
      assert.throws(
        () =>
          new SimVenue({
            exchange: 'sim',
            instruments: [BTC, SPOT],
            funding: { [symbol]: { type: 'fixed', rate: 0.0001, intervalMs: 8 * HOUR } },
          }),
        (error: Error) => error.message.includes(symbol),
      );
    }
  });

  it('liquidates when equity falls below maintenance: cancels orders, closes at the touch, charges the fee', () => {
    const v = venueWith(1000, [BTC], {
      maintenanceMargin: 0.005,
      liquidationFee: 0.01,
    });
    v.onQuote(quote(99.9, 100.1, 1000, 1000), 0);
    v.submit(market(100), 1);
    v.submit(order({ clientId: 'resting', price: 80, quantity: 1 }), 2);
    // wallet 1000 − 5.005 fee; at a mark of 91.1 equity is 94.995 against 45.55 maintenance
    assert.deepEqual(kinds(v.onQuote(quote(91, 91.2, 1000, 1000), 3)), []);
    const reports = v.onQuote(quote(90.4, 90.6, 1000, 1000), 4);
    assert.deepEqual(kinds(reports), ['canceled', 'accepted', 'fill']);
    const [canceled, accepted, fill] = reports;
    assert.equal(canceled?.type === 'canceled' && canceled.reason, 'liquidation');
    assert.equal(accepted?.type === 'accepted' && accepted.reason, 'liquidation');
    assert.ok(fill?.type === 'fill');
    assert.deepEqual(
      [fill.order.side, fill.quantity, fill.price, fill.realizedPnl, fill.fee],
      ['SELL', 100, 90.4, -970, 24.995],
      'the whole position at the bid; the fee takes what the wallet has left',
    );
    assert.equal(v.getPosition('BTCUSDT')?.quantity, 0);
    assert.deepEqual(usdt(v), { currency: 'USDT', total: 0, free: 0, locked: 0 });
    assert.equal(v.openOrders().length, 0);
  });

  it('names its liquidation order apart from a client order that took the name, which stays live', () => {
    const v = venueWith(1000, [BTC, SPOT]);
    v.onQuote(quote(99.9, 100.1, 1000, 1000), 0);
    v.submit(market(100), 1);
    // A spot order (not canceled by the perpetual's liquidation) named as the liquidation will be
    const spot = order({
      clientId: 'liquidation-1000003',
      symbol: SPOT.symbol,
      price: 1,
      quantity: 5,
    });
    assert.deepEqual(kinds(v.submit(spot, 2)), ['accepted']);
    const reports = v.onQuote(quote(90.4, 90.6, 1000, 1000), 4);
    assert.deepEqual(kinds(reports), ['accepted', 'fill']);
    const accepted = reports[0];
    assert.ok(accepted?.type === 'accepted');
    assert.deepEqual(
      [accepted.order.orderId, accepted.order.clientId],
      ['1000003', 'liquidation-1000003+'],
    );
    assert.deepEqual(
      v.openOrders().map((o) => o.clientId),
      ['liquidation-1000003'],
    );
    assert.deepEqual(kinds(v.cancel({ clientId: 'liquidation-1000003' }, 5)), ['canceled']);
  });

  it('liquidates after a funding payment that takes equity below maintenance', () => {
    const v = venueWith(1000, [BTC], {
      funding: { BTCUSDT: { type: 'table', times: [DAY0 + HOUR], rates: [0.095] } },
    });
    v.onQuote(quote(99.9, 100.1, 1000, 1000), DAY0);
    v.submit(market(100), DAY0);
    const reports = v.advance(DAY0 + HOUR);
    assert.deepEqual(kinds(reports), ['funding', 'accepted', 'fill']);
    assert.equal(v.getPosition('BTCUSDT')?.quantity, 0);
  });
});

describe('SimVenue: orders in reports', () => {
  it('reports copies frozen at the report by default, the live order itself without copies', () => {
    for (const copyOrders of [true, false]) {
      const v = venueWith(100_000, [BTC], {
        copyOrders,
      });
      v.onQuote(quote(99, 101, 1, 1), 0);
      const [accepted] = v.submit(order({ price: 100, quantity: 0.3 }), 0);
      assert.equal(accepted?.type, 'accepted');
      const filled = v.onTrade(trade(99, 0.1), 1);
      const fill = filled.find((r) => r.type === 'fill');
      assert.ok(accepted?.type === 'accepted' && fill?.type === 'fill');
      // The fill report shows the order as the fill left it, either way
      assert.equal(fill.order.filled, 0.1);
      assert.equal(fill.order.averagePrice, 100);
      if (copyOrders) {
        assert.equal(accepted.order.filled, 0, 'a copy keeps the order as it was at the accept');
        assert.equal(accepted.order.averagePrice, 0);
        assert.notEqual(accepted.order, fill.order);
      } else {
        assert.equal(accepted.order, fill.order, 'the venue order itself, as it is now');
        assert.equal(accepted.order.filled, 0.1);
      }
      // Queries answer with copies either way
      const asked = v.order({ clientId: accepted.order.clientId });
      assert.equal(asked?.filled, 0.1);
      assert.notEqual(asked, fill.order);
    }
  });
});

describe('SimVenue: order history', () => {
  /** A venue keeping ten finished orders, and a bid far below the touch placed then canceled */
  const withHistoryOfTen = () => {
    const sim = venueWith(100_000, [BTC], {
      historySize: 10,
    });
    sim.onQuote(quote(100, 100.1, 5, 5), 0);
    const placeAndCancel = (clientId: string): SimReport[] => {
      const input: SimOrderInput = {
        clientId,
        symbol: 'BTCUSDT',
        side: 'BUY',
        type: 'LIMIT',
        quantity: 0.1,
        price: 90,
        stopPrice: undefined,
        timeInForce: 'GTC',
        reduceOnly: false,
      };
      const reports = sim.submit(input, 1);
      sim.cancel({ clientId }, 2);
      return reports;
    };
    return { sim, placeAndCancel };
  };

  it('finds recent terminal orders by client id, and forgets them with the bounded history', () => {
    const { sim, placeAndCancel } = withHistoryOfTen();
    const ids = Array.from({ length: 25 }, (_, i) => `c${i}`);
    for (const clientId of ids) placeAndCancel(clientId);
    const known = ids.filter((clientId) => sim.order({ clientId }) !== undefined);
    assert.deepEqual(known, ids.slice(15), 'the last ten, by client id');
    assert.equal(sim.order({ clientId: 'c24' })?.status, 'CANCELED');
  });

  it('keeps finding them once asked, as orders keep finishing: by venue id, by client id, a reused client id', () => {
    const venue = withHistoryOfTen();
    const sim = venue.sim;
    const placeAndCancel = (clientId: string): string => {
      const first = venue.placeAndCancel(clientId)[0];
      assert.ok(first?.type === 'accepted');
      return first.order.orderId;
    };
    const venueIds = new Map<string, string>();
    for (let i = 0; i < 5; i++) venueIds.set(`c${i}`, placeAndCancel(`c${i}`));
    // The first query: from here on every finished order is looked up as it comes and goes
    assert.equal(sim.order({ clientId: 'c0' })?.status, 'CANCELED');
    for (let i = 5; i < 25; i++) venueIds.set(`c${i}`, placeAndCancel(`c${i}`));
    const ids = [...venueIds.keys()];
    const known = ids.filter((clientId) => sim.order({ clientId }) !== undefined);
    assert.deepEqual(known, ids.slice(15), 'the last ten, by client id');
    const byVenueId = ids.filter(
      (clientId) => sim.order({ orderId: venueIds.get(clientId)! }) !== undefined,
    );
    assert.deepEqual(byVenueId, ids.slice(15), 'the last ten, by venue id');
    // A client id used again: the newer order answers for it, and the older one by its venue id
    const reused = placeAndCancel('c20');
    assert.equal(sim.order({ clientId: 'c20' })?.orderId, reused);
    assert.equal(sim.order({ orderId: venueIds.get('c20')! })?.clientId, 'c20');
    assert.equal(sim.order({ orderId: venueIds.get('c15')! }), undefined, 'c15 made room');
  });
});

describe('SimVenue: live orders by venue id', () => {
  it('finds, cancels and amends live orders by venue id placed before and after the first such lookup', () => {
    const sim = venueWith(100_000, [BTC], {
      historySize: 0,
    });
    sim.onQuote(quote(100, 100.1, 5, 5), 0);
    const place = (clientId: string): string => {
      const first = sim.submit(order({ clientId, price: 90 }), 1)[0];
      assert.ok(first?.type === 'accepted');
      return first.order.orderId;
    };
    const a = place('a');
    const b = place('b');
    // By client id first: no lookup by venue id yet
    assert.deepEqual(kinds(sim.cancel({ clientId: 'a' }, 2)), ['canceled']);
    // The first lookup by venue id: b, placed before it, is found; a, gone before it, is not
    assert.equal(sim.order({ orderId: b })?.clientId, 'b');
    assert.deepEqual(kinds(sim.cancel({ orderId: a }, 3)), ['cancelRejected']);
    // Orders placed and gone after it are followed by the index
    const c = place('c');
    assert.equal(sim.order({ orderId: c })?.clientId, 'c');
    assert.deepEqual(kinds(sim.amend({ orderId: c }, { price: 91 }, 4)), ['amended']);
    assert.deepEqual(kinds(sim.cancel({ orderId: b }, 5)), ['canceled']);
    assert.deepEqual(kinds(sim.cancel({ orderId: b }, 6)), ['cancelRejected']);
    assert.deepEqual(
      sim.openOrders().map((o) => [o.clientId, o.price]),
      [['c', 91]],
    );
    // No history kept: a finished order is not found at all, by either id
    assert.deepEqual(kinds(sim.cancel({ orderId: c }, 7)), ['canceled']);
    assert.equal(sim.order({ orderId: c }), undefined);
    assert.equal(sim.order({ clientId: 'c' }), undefined);
    // A client id used again once its order is gone is a new live order
    const again = place('a');
    assert.notEqual(again, a);
    assert.equal(sim.order({ orderId: again })?.clientId, 'a');
    assert.equal(sim.order({ clientId: 'a' })?.orderId, again);
  });
});
