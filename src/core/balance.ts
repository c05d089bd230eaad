/** Holdings of one currency on one exchange */
export interface Balance {
  readonly currency: string;
  readonly total: number;
  /** Available for new orders */
  readonly free: number;
  /** Held by open orders or margin */
  readonly locked: number;
}
