import { isAbsolute, resolve } from 'node:path';
import { KestrelError } from '../../core/errors.ts';
import { formatDecimal } from '../../core/numeric.ts';
import type { JournalView } from '../../runtime/journal-view.ts';
import { readJournal } from '../../runtime/journal-view.ts';
import { parseCommandLine, UsageError } from '../exit-codes.ts';
import { checkJournalFile } from '../files.ts';
import type { Io } from '../io.ts';
import { JOURNAL_USAGE } from '../usage.ts';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}

const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : '');

/** Runs `kestrel orders`, `kestrel fills` or `kestrel positions`; returns the exit code */
export async function journalCommand(
  what: 'orders' | 'fills' | 'positions',
  argv: readonly string[],
  io: Io,
): Promise<number> {
  const { values, help } = parseCommandLine(argv, {
    journal: { type: 'string' },
    json: { type: 'boolean' },
    open: { type: 'boolean' },
  });
  if (help) {
    io.stdout(JOURNAL_USAGE);
    return 0;
  }
  const file = values['journal'] as string | undefined;
  if (file === undefined) throw new UsageError('--journal FILE is required');
  const path = isAbsolute(file) ? file : resolve(io.cwd, file);
  checkJournalFile(path, true);
  let view: JournalView;
  try {
    view = readJournal(path);
  } catch (error) {
    if (error instanceof KestrelError) throw error;
    throw new KestrelError(
      'INVALID_DATA',
      `journal ${path} cannot be read: ${(error as Error).message}`,
      {
        field: 'journal',
        value: path,
      },
    );
  }
  if (view.opening.problem !== undefined)
    io.stderr(
      `journal: ${view.opening.problem}; ${view.opening.droppedTail} entries after it are not shown\n`,
    );
  const json = values['json'] === true;
  if (what === 'orders') {
    const orders =
      values['open'] === true
        ? view.orders.filter(
            (o) => !['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'LOST'].includes(o.status),
          )
        : view.orders;
    if (json) {
      io.stdout(
        `${JSON.stringify(
          orders.map((o) => ({ ...o, instrument: o.instrument.symbol })),
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(
        table(
          [
            'created',
            'clientId',
            'venueOrderId',
            'symbol',
            'side',
            'type',
            'tif',
            'quantity',
            'price',
            'status',
            'filled',
            'avgPrice',
            'origin',
            'reason',
          ],
          orders.map((o) => [
            iso(o.createdAt),
            o.clientId,
            o.venueOrderId ?? '',
            o.instrument.symbol,
            o.side,
            o.type,
            o.timeInForce,
            formatDecimal(o.quantity, o.instrument.sizeDecimals),
            o.price === undefined ? '' : formatDecimal(o.price, o.instrument.priceDecimals),
            o.status,
            formatDecimal(o.filledQuantity, o.instrument.sizeDecimals),
            formatDecimal(o.averageFillPrice, o.instrument.priceDecimals + 4),
            o.origin,
            o.reason ?? '',
          ]),
        ),
      );
    }
  } else if (what === 'fills') {
    if (json)
      io.stdout(
        `${JSON.stringify(
          view.fills.map((f) => ({ ...f, instrument: f.instrument.symbol })),
          null,
          2,
        )}\n`,
      );
    else {
      io.stdout(
        table(
          [
            'time',
            'tradeId',
            'clientId',
            'symbol',
            'side',
            'quantity',
            'price',
            'fee',
            'liquidity',
          ],
          view.fills.map((f) => [
            iso(f.time),
            f.tradeId,
            f.clientId ?? '',
            f.instrument.symbol,
            f.side,
            formatDecimal(f.quantity, f.instrument.sizeDecimals),
            formatDecimal(f.price, f.instrument.priceDecimals),
            `${formatDecimal(f.fee, 8)} ${f.feeCurrency}`,
            f.liquidity,
          ]),
        ),
      );
    }
  } else if (json) {
    io.stdout(
      `${JSON.stringify({ positions: view.positions.map((p) => ({ ...p, instrument: p.instrument.symbol })), balances: view.balances }, null, 2)}\n`,
    );
  } else {
    io.stdout(
      table(
        ['symbol', 'quantity', 'averagePrice', 'realizedPnl', 'fees', 'funding'],
        view.positions.map((p) => [
          p.instrument.symbol,
          formatDecimal(p.quantity, p.instrument.sizeDecimals),
          formatDecimal(p.averagePrice, p.instrument.priceDecimals + 4),
          formatDecimal(p.realizedPnl, 8),
          formatDecimal(p.commissions, 8),
          formatDecimal(p.funding, 8),
        ]),
      ) +
        `\n${table(
          ['currency', 'total', 'free', 'locked'],
          view.balances.map((b) => [
            b.currency,
            formatDecimal(b.total, 8),
            formatDecimal(b.free, 8),
            formatDecimal(b.locked, 8),
          ]),
        )}`,
    );
  }
  return 0;
}
