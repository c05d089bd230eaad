import type { Clock } from '../../engine/clock.ts';
import type { EmulatorFaults } from '../faults.ts';
import type { Outcome, UsdmExchange } from './exchange.ts';
import type { OrderRateWindows, RequestWeightWindow } from './request-weight.ts';
import type { Credentials } from './signature.ts';
import type { UserDataStreams } from './user-stream.ts';

/** One REST request as the emulator saw it, for tests to assert what went on the wire */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** Every parameter except the signature */
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly time: number;
}

export interface RestContext {
  readonly exchange: UsdmExchange;
  readonly users: UserDataStreams;
  readonly faults: EmulatorFaults;
  readonly credentials: Credentials;
  readonly clock: Clock;
  readonly requests: RequestRecord[];
  /** The IP request-weight limit's current window */
  readonly weights: RequestWeightWindow;
  /** The account's order-rate limits' current windows */
  readonly orderRate: OrderRateWindows;
  /** Sends pushes to the user data stream */
  deliver(pushes: readonly Record<string, unknown>[]): void;
}

/** How a route is guarded: not at all, the API key alone, or key + HMAC signature + timestamp */
export type Auth = 'none' | 'key' | 'signed';
export type Params = Readonly<Record<string, string>>;
export type Handler = (params: Params, ctx: RestContext, now: number) => Outcome<unknown> | unknown;

export interface Route {
  readonly auth: Auth;
  readonly handler: Handler;
}

/** Routes by `METHOD /path` */
export type RouteTable = Readonly<Record<string, Route>>;
