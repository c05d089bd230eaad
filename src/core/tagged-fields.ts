/**
 * Keeps numeric fields of a hot-path object shape tagged, so the zeros most objects hold there
 * need no heap box.
 *
 * Once any object of a shape has stored a fraction in a field, V8 gives that field of every object
 * of the shape made after it a heap box of its own (16 bytes each, kept as long as the object is).
 * A field that has held something other than a number is left tagged instead: small integers need
 * no box, and a number already boxed elsewhere (a time stored in several places) is shared, not
 * copied. Storing null once in those fields of one throwaway object of the shape does that for the
 * whole shape. Nothing anyone can see: the objects hold numbers as before.
 *
 * The same for a field holding objects: V8 notes the hidden class of the objects a field holds,
 * and code compiled relying on it is thrown away when an object of another class is stored. A
 * second run in the same process makes its own objects (an account's history, a market's
 * matching engine), whose hidden classes may be new ones (the first run's die with it): a field
 * that has held null keeps no class, and nothing is thrown away then.
 *
 * `seed` must be made exactly as the hot path makes its objects (same literal, same key order),
 * and this must run before the first of them is made.
 */
export function keepFieldsTagged<T extends object>(seed: T, fields: readonly (keyof T)[]): void {
  const record = seed as Record<keyof T, unknown>;
  for (const field of fields) record[field] = null;
}

/**
 * Makes numeric fields of an object shape doubles from the start, keeping the values they hold.
 *
 * V8 keeps a field that has only held small integers as one. The first fraction stored there
 * gives the shape a new hidden class and deprecates the old, and every optimized function that
 * checked the old one is thrown away and compiled again: a backtest's first fill did that to
 * about 30 functions at once (positions, balances, the report's running sums all start at 0).
 * Storing a fraction once in those fields, before any code is optimized, gives the shape the
 * representation it takes at the first fill anyway. Call it on one throwaway object made as the
 * hot path makes its objects (same literal, same key order) before the first of them is made, or
 * on a class instance in its constructor. Nothing anyone can see: the fields keep their values.
 */
export function keepFieldsDouble<T extends object>(target: T, fields: readonly (keyof T)[]): void {
  const record = target as Record<keyof T, unknown>;
  for (const field of fields) {
    const value = record[field];
    record[field] = 0.5;
    record[field] = value;
  }
}

/**
 * A new empty list with the hidden class of a list of objects (or strings).
 *
 * `[]` is a list of small integers to V8 until an object is put in it, and has another hidden
 * class than the lists of objects returned beside it: code optimized while only the shared empty
 * list came by is thrown away when the first real one does (a backtest's first fill, through the
 * venue's reports). Never add to a list shared for "nothing".
 *
 * The same holds for a list a long-lived object keeps (an account's live orders, the clock's
 * heap): V8 learns from the first list's first object to make the next ones lists of objects
 * only while the list is young, and those lists are old by then. Without this, a second backtest
 * in the same process (a sweep's next job) makes them lists of small integers again, and every
 * function optimized in the first run for lists of objects is thrown away at its first push.
 */
export function emptyObjectList<T>(): T[] {
  const list: (T | null)[] = [null];
  list.pop();
  return list as T[];
}

/**
 * Marks number fields of an object as ones that change, keeping their values.
 *
 * V8 counts a field stored only once as a constant, and optimized code may rely on that: when
 * the field first changes (the recorder's sampling period at its first coarsening, the venue's
 * count of live reduce-only orders at the first), every function compiled relying on it is
 * thrown away and compiled again. Storing another value once, in the constructor, before any code
 * is optimized, tells V8 at once. Nothing anyone can see: the fields keep their values.
 */
export function keepFieldsMutable<T extends object>(target: T, fields: readonly (keyof T)[]): void {
  const record = target as Record<keyof T, number>;
  for (const field of fields) {
    const value = record[field];
    record[field] = value + 1;
    record[field] = value;
  }
}

/**
 * Marks boolean fields of an object as ones that change, keeping their values: keepFieldsMutable
 * for flags. A flag set once, at a run's end (a session stopping, a timer canceled), was a
 * constant to V8 for the whole run: code compiled relying on it was thrown away then, and compiled
 * again in the process's next run.
 */
export function keepFlagsMutable<T extends object>(target: T, fields: readonly (keyof T)[]): void {
  const record = target as Record<keyof T, boolean>;
  for (const field of fields) {
    const value = record[field];
    record[field] = !value;
    record[field] = value;
  }
}
