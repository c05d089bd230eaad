import { isAbsolute, resolve } from 'node:path';
import type { TrackedOrder } from '../../core/account.ts';
import { formatDecimal } from '../../core/numeric.ts';
import { describeDamage } from '../../journal/integrity.ts';
import { isPostgresUrl } from '../../journal/location.ts';
import { checkJournal, repairJournal } from '../../journal/sqlite-repair.ts';
import { loadJournalView } from '../../runtime/journal-view.ts';
import { EXIT, parseCommandLine, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { JOURNAL_CHECK_USAGE, JOURNAL_USAGE } from '../usage.ts';

const absolute = (io: Io, file: string) => (isAbsolute(file) ? file : resolve(io.cwd, file));

/** Runs `kestrel journal check|repair FILE`; returns the exit code */
export async function journalMaintenanceCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positionals, help } = parseCommandLine(argv, {}, true);
  if (help) {
    io.stdout(JOURNAL_CHECK_USAGE);
    return EXIT.OK;
  }
  const [action, file, ...rest] = positionals;
  if (action !== 'check' && action !== 'repair')
    throw new UsageError(`expected check or repair, got ${JSON.stringify(action ?? '')}`);
  if (file === undefined || rest.length > 0)
    throw new UsageError(
      `expected one journal file, got ${positionals.slice(1).join(' ') || 'none'}`,
    );
  const path = absolute(io, file);
  if (action === 'check') {
    const check = checkJournal(path);
    const lines = [
      `journal ${path}: ${check.identity.exchange} account ${check.identity.account}, format ${check.format}, ${check.entries} valid entries`,
    ];
    if (check.damage.length === 0 && check.structure.length === 0) lines.push('no damage');
    for (const damage of check.damage) lines.push(`damage: ${describeDamage(damage)}`);
    for (const problem of check.structure) lines.push(`file structure: ${problem}`);
    for (const record of check.history)
      lines.push(`history: ${record.at} ${record.action} ${record.detail}`);
    if (check.damage.length > 0 || check.structure.length > 0)
      lines.push(
        `to keep every valid record and move the damaged ones aside: kestrel journal repair ${file}`,
      );
    io.stdout(`${lines.join('\n')}\n`);
    return check.damage.length === 0 && check.structure.length === 0 ? EXIT.OK : EXIT.JOURNAL;
  }
  const repair = repairJournal(path);
  if (repair.backup === undefined) {
    io.stdout(`journal ${path}: no damage, nothing to repair (${repair.kept} valid entries)\n`);
    return EXIT.OK;
  }
  const lines = [
    `journal ${path} repaired: ${repair.kept} valid entries kept under their own numbers`,
    ...repair.damage.map((d) => `accepted: ${describeDamage(d)}`),
    repair.movedTo === undefined
      ? 'no damaged record could be read to move aside'
      : `moved aside: ${repair.moved} damaged records, into ${repair.movedTo}`,
    `the file as it was: ${repair.backup}`,
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

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

/**
 * An order as `kestrel orders --json` prints it: the public Order's fields (the instrument by
 * symbol) and the venue correlation key it was matched by, never the account's own bookkeeping
 */
function orderJson(owner: string, order: TrackedOrder): Record<string, unknown> {
  return {
    owner,
    clientId: order.clientId,
    venueOrderId: order.venueOrderId,
    correlationKey: order.correlationKey,
    instrument: order.instrument.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    quantity: order.quantity,
    price: order.price,
    stopPrice: order.stopPrice,
    reduceOnly: order.reduceOnly,
    positionSide: order.positionSide,
    status: order.status,
    filledQuantity: order.filledQuantity,
    averageFillPrice: order.averageFillPrice,
    origin: order.origin,
    reason: order.reason,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    transitions: order.transitions,
  };
}

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
  const view = await loadJournalView(file, io.cwd);
  // A shared journal shows every owner's records, by owner
  const shared = isPostgresUrl(file);
  let damaged = false;
  for (const owner of view.owners) {
    if (owner.damage.length === 0) continue;
    damaged = true;
    io.stderr(
      `kestrel ${what}: warning: the journal${shared ? ` (owner ${owner.owner})` : ''} is damaged; showing its ${owner.entries} valid entries:\n${owner.damage.map((d) => `  ${describeDamage(d)}\n`).join('')}${owner.refused > 0 ? `  ${owner.refused} entries could not be applied without the damaged ones\n` : ''}${shared ? '' : `  see kestrel journal check ${file}\n`}`,
    );
  }
  const json = values['json'] === true;
  const ownerColumn = (owner: string): string[] => (shared ? [owner] : []);
  const ownerHeader = shared ? ['owner'] : [];
  if (what === 'orders') {
    const orders = view.owners.flatMap((v) =>
      (values['open'] === true
        ? v.orders.filter(
            (o) => !['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED', 'LOST'].includes(o.status),
          )
        : v.orders
      ).map((order) => ({ owner: v.owner, order })),
    );
    if (json) {
      io.stdout(
        `${JSON.stringify(
          orders.map(({ owner, order }) => orderJson(owner, order)),
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(
        table(
          [
            ...ownerHeader,
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
          orders.map(({ owner, order: o }) => [
            ...ownerColumn(owner),
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
    const fills = view.owners.flatMap((v) => v.fills.map((fill) => ({ owner: v.owner, fill })));
    if (json)
      io.stdout(
        `${JSON.stringify(
          fills.map(({ owner, fill: f }) => ({ owner, ...f, instrument: f.instrument.symbol })),
          null,
          2,
        )}\n`,
      );
    else {
      io.stdout(
        table(
          [
            ...ownerHeader,
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
          fills.map(({ owner, fill: f }) => [
            ...ownerColumn(owner),
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
  } else {
    const positions = view.owners.flatMap((v) =>
      v.positions.map((position) => ({ owner: v.owner, position })),
    );
    const balances = view.owners.flatMap((v) =>
      v.balances.map((balance) => ({ owner: v.owner, balance })),
    );
    if (json) {
      io.stdout(
        `${JSON.stringify(
          {
            positions: positions.map(({ owner, position: p }) => ({
              owner,
              ...p,
              instrument: p.instrument.symbol,
            })),
            balances: balances.map(({ owner, balance }) => ({ owner, ...balance })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(
        table(
          [...ownerHeader, 'symbol', 'quantity', 'averagePrice', 'realizedPnl', 'fees', 'funding'],
          positions.map(({ owner, position: p }) => [
            ...ownerColumn(owner),
            p.instrument.symbol,
            formatDecimal(p.quantity, p.instrument.sizeDecimals),
            formatDecimal(p.averagePrice, p.instrument.priceDecimals + 4),
            formatDecimal(p.realizedPnl, 8),
            formatDecimal(p.commissions, 8),
            formatDecimal(p.funding, 8),
          ]),
        ) +
          `\n${table(
            [...ownerHeader, 'currency', 'total', 'free', 'locked'],
            balances.map(({ owner, balance: b }) => [
              ...ownerColumn(owner),
              b.currency,
              formatDecimal(b.total, 8),
              formatDecimal(b.free, 8),
              formatDecimal(b.locked, 8),
            ]),
          )}`,
      );
    }
  }
  return damaged ? EXIT.JOURNAL : EXIT.OK;
}
