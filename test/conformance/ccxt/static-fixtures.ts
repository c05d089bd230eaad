import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * ccxt's own static tests (`../shared/fixtures/ccxt-static/`, see its README): per unified
 * method, the exact request ccxt sends (`request/<exchange>.json`) and captured venue answers
 * with what ccxt parses from them (`response/<exchange>.json`). Read in place, never copied.
 */
export const CCXT_STATIC = fileURLToPath(
  new URL('../../../../shared/fixtures/ccxt-static/', import.meta.url),
);

export const hasCcxtStatic = existsSync(CCXT_STATIC);

export const SKIP_MESSAGE = `../shared/fixtures/ccxt-static is absent (${CCXT_STATIC}); conformance suite skipped`;

export interface RequestCase {
  readonly description: string;
  readonly method: string;
  readonly url: string;
  readonly input: readonly unknown[];
  readonly output?: unknown;
  readonly disabled?: boolean;
}

export interface ResponseCase {
  readonly description: string;
  readonly method: string;
  readonly input: readonly unknown[];
  readonly httpResponse: unknown;
  readonly parsedResponse: unknown;
}

interface StaticFile<T> {
  readonly exchange: string;
  readonly skipKeys?: readonly string[];
  readonly methods: Readonly<Record<string, readonly T[]>>;
}

const files = new Map<string, unknown>();

/** One fixture file, parsed once per process (callers copy what they change) */
function read<T>(kind: 'request' | 'response', exchange: string): StaticFile<T> {
  const path = `${CCXT_STATIC}${kind}/${exchange}.json`;
  let file = files.get(path);
  if (file === undefined) {
    file = JSON.parse(readFileSync(path, 'utf8'));
    files.set(path, file);
  }
  return file as StaticFile<T>;
}

/** The captured request cases of one method */
export function requestCases(exchange: string, method: string): readonly RequestCase[] {
  return read<RequestCase>('request', exchange).methods[method] ?? [];
}

/**
 * One captured venue answer, by method and description.
 * @throws when the case is not in the file (the fixtures changed under the suite)
 */
export function capturedAnswer(
  exchange: string,
  method: string,
  description: string,
): ResponseCase {
  const found = read<ResponseCase>('response', exchange).methods[method]?.find(
    (c) => c.description === description,
  );
  if (found === undefined)
    throw new Error(`ccxt-static response/${exchange}.json has no ${method} case "${description}"`);
  return found;
}

/** A deep copy of a captured answer's body, to fill in with the ids of the order at hand */
export function capturedBody<T = Record<string, unknown>>(
  exchange: string,
  method: string,
  description: string,
): T {
  return structuredClone(capturedAnswer(exchange, method, description).httpResponse) as T;
}
