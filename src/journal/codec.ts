import { KestrelError } from '../core/errors.ts';
import type { AccountEvent } from '../core/events.ts';
import type { Instrument, InstrumentSpec } from '../core/instrument.ts';
import { createInstrument, instrumentKey } from '../core/instrument.ts';

/**
 * Turns account events into JSON and back. Instruments are written once (by key) and events
 * refer to them, so an entry stays small and a replayed event gets the very instrument object
 * the rest of the state uses.
 */
export class EventCodec {
  private readonly instruments = new Map<string, Instrument>();
  /** Instruments seen while encoding and not yet stored */
  private readonly fresh: Instrument[] = [];

  /** Registers a stored instrument definition (when opening a journal) */
  load(spec: InstrumentSpec): Instrument {
    const instrument = createInstrument(spec);
    this.instruments.set(instrumentKey(instrument), instrument);
    return instrument;
  }

  /** Instruments encoded since the last call, for the caller to store */
  takeFresh(): Instrument[] {
    return this.fresh.splice(0, this.fresh.length);
  }

  encode(event: AccountEvent): string {
    return JSON.stringify(event, (_key, value: unknown) => {
      if (
        typeof value === 'object' &&
        value !== null &&
        'tickSize' in value &&
        'priceDecimals' in value
      ) {
        const instrument = value as Instrument;
        const key = instrumentKey(instrument);
        if (!this.instruments.has(key)) {
          this.instruments.set(key, instrument);
          this.fresh.push(instrument);
        }
        return { $instrument: key };
      }
      return value;
    });
  }

  /**
   * @throws KestrelError INVALID_DATA when the text is not an event this codec wrote
   */
  decode(text: string): AccountEvent {
    const event = JSON.parse(text, (_key, value: unknown) => {
      if (typeof value === 'object' && value !== null && '$instrument' in value) {
        const key = (value as { $instrument: string }).$instrument;
        const instrument = this.instruments.get(key);
        if (instrument === undefined)
          throw new KestrelError('INVALID_DATA', `journal entry names unknown instrument ${key}`);
        return instrument;
      }
      return value;
    }) as AccountEvent;
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
      throw new KestrelError('INVALID_DATA', 'journal entry is not an event');
    }
    return event;
  }
}
