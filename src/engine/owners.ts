import type { OrderRef } from '../core/events.ts';
import type { JournalOwner } from '../journal/journal.ts';
import type { Logger } from './logger.ts';

/**
 * Whose an order is: this process's, a sibling's (another process trading the same account),
 * or someone else's (a manual order, another program)
 */
export type Ownership = 'own' | 'sibling' | 'other';

export interface OwnerDirectoryOptions {
  readonly self: JournalOwner;
  /** The owners as the shared journal lists them now */
  readonly load: () => Promise<readonly JournalOwner[]>;
  /** The owner slot a venue correlation key carries (Lighter's client order index), if any */
  readonly slotOf?: ((correlationKey: string) => number | undefined) | undefined;
  readonly logger?: Logger;
  /** At most one refresh asked for by an unknown id per this long, ms; default 1 000 */
  readonly refreshIntervalMs?: number;
  /** Siblings' venue order ids remembered (the oldest forgotten first); default 100 000 */
  readonly venueIdsKept?: number;
}

/** The shape of every clientId Kestrel generates: `<prefix><tag>-<counter>` */
const KESTREL_ID = /^([A-Za-z][A-Za-z0-9_]{0,7}[a-z0-9]{1,8})-[0-9a-z]+$/;

/**
 * Tells whose an order is when several processes trade one account, by the shape of its ids
 * and the owners the shared journal lists: each owner's clientIds start with its own head
 * (prefix and instance tag, unique in the journal), and correlation keys that cannot carry a
 * clientId carry the owner's slot.
 *
 * A venue does not always name an order by its clientId: an update may carry only the venue's
 * order id. Whenever a reference names a sibling's order by clientId or correlation key and
 * carries its venue order id too (the venue's acknowledgement, a snapshot's open order), the
 * directory remembers that venue id as the sibling's, so a later update naming only it is known
 * to be the sibling's as well (never adopted as EXTERNAL, never refused as an unknown order).
 *
 * Two answers, for two uses. `isSibling` serves the live stream and errs on the side of the
 * sibling: an id shaped like Kestrel's whose owner is not listed yet (a process that started
 * after the last refresh) counts as a sibling's, and a refresh is started, because adopting a
 * sibling's order as EXTERNAL is the mistake that cannot be undone (a stop would cancel it).
 * `ownership` serves reconciliation after `refresh()`: a process registers as an owner before
 * it sends anything, so an id no listed owner has is someone else's.
 */
export class OwnerDirectory {
  readonly self: JournalOwner;
  private readonly options: OwnerDirectoryOptions;
  private byHead = new Map<string, JournalOwner>();
  private bySlot = new Map<number, JournalOwner>();
  /** Siblings' venue order ids seen next to their clientId or correlation key, oldest first */
  private readonly byVenueId = new Map<string, JournalOwner>();
  private refreshing: Promise<void> | undefined;
  private lastAsked = Number.NEGATIVE_INFINITY;

  constructor(options: OwnerDirectoryOptions) {
    this.options = options;
    this.self = options.self;
    this.index([options.self]);
  }

  private index(owners: readonly JournalOwner[]): void {
    const byHead = new Map<string, JournalOwner>();
    const bySlot = new Map<number, JournalOwner>();
    for (const owner of [...owners, this.self]) {
      byHead.set(`${owner.clientIdPrefix}${owner.instanceTag}`, owner);
      if (owner.slot > 0) bySlot.set(owner.slot, owner);
    }
    this.byHead = byHead;
    this.bySlot = bySlot;
  }

  /** The other owners known now */
  siblings(): JournalOwner[] {
    return [...this.byHead.values()].filter((o) => o.owner !== this.self.owner);
  }

  /**
   * Reads the owners again; one read at a time (callers share it).
   * @throws whatever the load throws (the previous list stays)
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.options
      .load()
      .then((owners) => this.index(owners))
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /**
   * The owner a reference names, by its clientId's head, its correlation key's slot or, for a
   * reference with neither, a sibling's venue order id seen before
   */
  private ownerOf(ref: OrderRef): { owner: JournalOwner | undefined; kestrelShaped: boolean } {
    const named = this.ownerByName(ref);
    if (ref.venueOrderId === undefined) return named;
    if (named.owner !== undefined) {
      if (named.owner.owner !== this.self.owner)
        this.rememberVenueId(ref.venueOrderId, named.owner);
      return named;
    }
    if (ref.clientId !== undefined || ref.correlationKey !== undefined) return named;
    const known = this.byVenueId.get(ref.venueOrderId);
    return known === undefined ? named : { owner: known, kestrelShaped: true };
  }

  private rememberVenueId(venueOrderId: string, owner: JournalOwner): void {
    if (this.byVenueId.get(venueOrderId) === owner) return;
    this.byVenueId.delete(venueOrderId);
    this.byVenueId.set(venueOrderId, owner);
    if (this.byVenueId.size > (this.options.venueIdsKept ?? 100_000)) {
      const oldest = this.byVenueId.keys().next().value;
      if (oldest !== undefined) this.byVenueId.delete(oldest);
    }
  }

  /** The owner a reference names by its clientId's head or its correlation key's slot */
  private ownerByName(ref: OrderRef): { owner: JournalOwner | undefined; kestrelShaped: boolean } {
    if (ref.clientId !== undefined) {
      const head = KESTREL_ID.exec(ref.clientId)?.[1];
      if (head !== undefined) {
        // A prefix and tag are split wherever a listed owner's head matches
        return { owner: this.byHead.get(head), kestrelShaped: true };
      }
      return { owner: undefined, kestrelShaped: false };
    }
    if (ref.correlationKey !== undefined && this.options.slotOf !== undefined) {
      const slot = this.options.slotOf(ref.correlationKey);
      if (slot !== undefined && slot > 0)
        return { owner: this.bySlot.get(slot), kestrelShaped: true };
    }
    return { owner: undefined, kestrelShaped: false };
  }

  /** Whose the order is, by the owners as last read (call `refresh` first for a settled answer) */
  ownership(ref: OrderRef): Ownership {
    const { owner } = this.ownerOf(ref);
    if (owner === undefined) return 'other';
    return owner.owner === this.self.owner ? 'own' : 'sibling';
  }

  /**
   * Whether the order may be a sibling's: a listed sibling's, or shaped like Kestrel's with an
   * owner not listed yet (then the owners are read again, at most once per refresh interval)
   */
  isSibling(ref: OrderRef): boolean {
    const { owner, kestrelShaped } = this.ownerOf(ref);
    if (owner !== undefined) return owner.owner !== this.self.owner;
    if (!kestrelShaped) return false;
    const now = Date.now();
    if (now - this.lastAsked >= (this.options.refreshIntervalMs ?? 1_000)) {
      this.lastAsked = now;
      this.refresh().catch((error: unknown) =>
        this.options.logger?.warn('could not read the owners of the shared journal', { error }),
      );
    }
    return true;
  }
}
