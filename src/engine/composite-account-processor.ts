import type { TrackedOrder } from '../core/account.ts';
import { KestrelError } from '../core/errors.ts';
import type { AccountEvent, VenueEvent } from '../core/events.ts';
import { eventExchange } from '../core/events.ts';
import type { FillReport } from '../core/fill.ts';
import type { Instrument } from '../core/instrument.ts';
import type { OrderRequest, PositionSide } from '../core/order.ts';
import type { Position } from '../core/position.ts';
import type { JournalHealth } from '../journal/journal.ts';
import type {
  AccountListener,
  AccountProcessor,
  AccountView,
  BalanceView,
} from './account-processor.ts';

/**
 * Several exchange accounts behind one view: every write is routed by the exchange it belongs
 * to (the instrument's, or the event's), and reads aggregate across accounts.
 */
export class CompositeAccountProcessor implements AccountView {
  private readonly accounts: ReadonlyMap<string, AccountProcessor>;

  constructor(accounts: readonly AccountProcessor[]) {
    const byExchange = new Map<string, AccountProcessor>();
    for (const account of accounts) {
      if (byExchange.has(account.exchange)) {
        throw new KestrelError('INVALID_CONFIG', `two accounts for exchange ${account.exchange}`, {
          field: 'exchange',
          value: account.exchange,
        });
      }
      byExchange.set(account.exchange, account);
    }
    this.accounts = byExchange;
  }

  /**
   * The account of one exchange.
   * @throws KestrelError UNKNOWN_EXCHANGE
   */
  account(exchange: string): AccountProcessor {
    const account = this.accounts.get(exchange);
    if (account === undefined) {
      throw new KestrelError(
        'UNKNOWN_EXCHANGE',
        `no account for exchange ${JSON.stringify(exchange)}`,
        {
          field: 'exchange',
          value: exchange,
        },
      );
    }
    return account;
  }

  get exchanges(): string[] {
    return [...this.accounts.keys()];
  }

  processOrderRequest(request: OrderRequest, correlationKey?: string): TrackedOrder {
    return this.account(request.instrument.exchange).processOrderRequest(request, correlationKey);
  }

  apply(event: AccountEvent): void {
    this.account(eventExchange(event)).apply(event);
  }

  processOrder(event: VenueEvent): void {
    this.apply(event);
  }

  processFills(fills: readonly FillReport[]): void {
    for (const fill of fills) this.account(fill.instrument.exchange).processFills([fill]);
  }

  subscribe(listener: AccountListener): () => void {
    const unsubscribes = [...this.accounts.values()].map((a) => a.subscribe(listener));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  findOrder(clientId: string): TrackedOrder | undefined {
    for (const account of this.accounts.values()) {
      const order = account.findOrder(clientId);
      if (order !== undefined) return order;
    }
    return undefined;
  }

  someClientId(match: (clientId: string) => boolean): boolean {
    for (const account of this.accounts.values()) if (account.someClientId(match)) return true;
    return false;
  }

  getOrders(instrument?: Instrument): TrackedOrder[] {
    if (instrument !== undefined) return this.account(instrument.exchange).getOrders(instrument);
    return [...this.accounts.values()].flatMap((a) => a.getOrders());
  }

  getPosition(instrument: Instrument, side?: PositionSide): Position {
    return this.account(instrument.exchange).getPosition(instrument, side);
  }

  getPositions(): Position[] {
    return [...this.accounts.values()].flatMap((a) => a.getPositions());
  }

  getBalances(): BalanceView[] {
    return [...this.accounts.values()].flatMap((a) => a.getBalances());
  }

  get journaled(): boolean {
    return [...this.accounts.values()].some((a) => a.journaled);
  }

  /** The first unhealthy journal's health, else ok */
  get journalHealth(): JournalHealth {
    for (const account of this.accounts.values())
      if (account.journalHealth.state !== 'ok') return account.journalHealth;
    return { state: 'ok' };
  }

  async durable(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.durable()));
  }

  markPrice(instrument: Instrument, price: number): void {
    this.account(instrument.exchange).markPrice(instrument, price);
  }
}
