/**
 * Property: realized PnL is exact.
 *
 * For any sequence of fills on one instrument (random sides, sizes and prices on the
 * instrument's grids, with flips through zero) closed by a last fill that leaves the position
 * flat, booked through the account's single writer:
 *
 * 1. the realized PnL is exactly Σ sell value − Σ buy value (quantity × price × contract size),
 *    computed here in integers, to the money precision;
 * 2. fees stay apart: commissions are Σ fees and the settle balance moves by realized − fees
 *    (derivatives);
 * 3. flat means flat: quantity, average price and cost basis are all 0.
 *
 * The instruments keep price, size and contract-size decimals within the money precision, so
 * every value is exact there; the sums stay far below 9e7, where 8-decimal sums stop being exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { apply, createAccountState } from '../../src/core/account.ts';
import { tradeId } from '../../src/core/ids.ts';
import type { Instrument } from '../../src/core/instrument.ts';
import { createInstrument, isDerivative } from '../../src/core/instrument.ts';
import { money, stepDecimals } from '../../src/core/numeric.ts';
import type { Side } from '../../src/core/order.ts';
import { BTC_PERP, BTC_SPOT } from '../helpers/instruments.ts';

/** A quanto-style contract: 0.01 ETH per contract, whole contracts */
const ETH_CONTRACTS: Instrument = createInstrument({
  symbol: 'ETH-PERP',
  exchange: 'TEST',
  marketType: 'SWAP',
  base: 'ETH',
  quote: 'USDT',
  tickSize: 0.01,
  lotSize: 1,
  contractSize: 0.01,
});

interface Case {
  readonly instrument: Instrument;
  /** Largest size and price, in lots and ticks */
  readonly maxLots: number;
  readonly maxTicks: number;
}

const CASES: readonly Case[] = [
  { instrument: BTC_PERP, maxLots: 5_000, maxTicks: 1_500_000 },
  { instrument: ETH_CONTRACTS, maxLots: 2_000, maxTicks: 800_000 },
  { instrument: BTC_SPOT, maxLots: 100_000, maxTicks: 10_000_000 },
];

interface Step {
  readonly side: Side;
  readonly lots: number;
  readonly ticks: number;
  /** Fee in units of 1e-8 */
  readonly fee: number;
}

/** value × 10^decimals as an exact integer */
function units(value: number, decimals: number): bigint {
  return BigInt(Math.round(value * 10 ** decimals));
}

/** An exact integer count of 10^-decimals as the nearest double */
function decimal(value: bigint, decimals: number): number {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, '0');
  const text = `${digits.slice(0, digits.length - decimals)}.${digits.slice(digits.length - decimals)}`;
  return Number(negative ? `-${text}` : text);
}

function steps(c: Case) {
  const step = fc.record({
    side: fc.constantFrom<Side>('BUY', 'SELL'),
    lots: fc.integer({ min: 1, max: c.maxLots }),
    ticks: fc.integer({ min: 1, max: c.maxTicks }),
    fee: fc.integer({ min: -50_000, max: 5_000_000 }),
  });
  return fc.tuple(fc.array(step, { minLength: 1, maxLength: 30 }), step);
}

describe('property: a position that ends flat realizes exactly its sells less its buys', () => {
  for (const c of CASES) {
    const { instrument } = c;
    it(`${instrument.symbol} (tick ${instrument.tickSize}, lot ${instrument.lotSize}, contract ${instrument.contractSize})`, () => {
      const sizeDecimals = instrument.sizeDecimals;
      const priceDecimals = instrument.priceDecimals;
      const contractDecimals = stepDecimals(instrument.contractSize);
      const scale = sizeDecimals + priceDecimals + contractDecimals;
      const contract = units(instrument.contractSize, contractDecimals);
      fc.assert(
        fc.property(steps(c), ([body, closing]) => {
          // The last fill closes whatever the body left open (with its own price and fee)
          let heldLots = 0;
          for (const s of body) heldLots += s.side === 'BUY' ? s.lots : -s.lots;
          const fills: Step[] =
            heldLots === 0
              ? [...body]
              : [
                  ...body,
                  { ...closing, side: heldLots > 0 ? 'SELL' : 'BUY', lots: Math.abs(heldLots) },
                ];
          const state = createAccountState({
            exchange: 'TEST',
            balances: [{ currency: 'USDT', total: 1_000_000, free: 1_000_000, locked: 0 }],
            limits: { dedupSize: 64 },
          });
          let value = 0n;
          let fees = 0n;
          for (const [i, s] of fills.entries()) {
            const quantity = decimal(
              BigInt(s.lots) * units(instrument.lotSize, sizeDecimals),
              sizeDecimals,
            );
            const price = decimal(
              BigInt(s.ticks) * units(instrument.tickSize, priceDecimals),
              priceDecimals,
            );
            const fee = decimal(BigInt(s.fee), 8);
            const result = apply(state, {
              type: 'orderFilled',
              exchange: 'TEST',
              fill: {
                tradeId: tradeId(`t${i}`),
                instrument,
                side: s.side,
                quantity,
                price,
                fee,
                feeCurrency: 'USDT',
                liquidity: 'TAKER',
                time: i,
              },
              time: i,
            });
            assert.equal(result.outcome, 'applied');
            const notional = units(quantity, sizeDecimals) * units(price, priceDecimals) * contract;
            value += s.side === 'SELL' ? notional : -notional;
            fees += BigInt(s.fee);
          }
          const position = state.positions.get(instrument.symbol);
          assert.equal(position?.quantity, 0);
          assert.equal(position?.averagePrice, 0);
          assert.equal(position?.costBasis, 0);
          assert.equal(position?.realizedPnl, decimal(value, scale));
          assert.equal(position?.commissions, decimal(fees, 8));
          if (isDerivative(instrument)) {
            assert.equal(
              state.balances.get('USDT')?.total,
              money(1_000_000 + decimal(value, scale) - decimal(fees, 8)),
            );
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
