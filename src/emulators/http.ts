import type { IncomingMessage, ServerResponse } from 'node:http';

/** The whole body of a request, as text */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Answers with a JSON body (nothing when the client already hung up) */
export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** How many REST requests an emulator's log keeps: the latest */
const REQUEST_LOG_SIZE = 20_000;

/** Logs a REST request as received, keeping the latest 20 000 */
export function logRequest<Entry>(requests: Entry[], entry: Entry): void {
  requests.push(entry);
  if (requests.length > REQUEST_LOG_SIZE) requests.shift();
}

/** The Retry-After header a forced failure asks for, none when it names no wait */
export function retryAfterHeader(retryAfterSeconds: number | undefined): Record<string, string> {
  return retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
}

/** A REST request as the venue emulators read it */
export interface RestRequest {
  /** Upper case */
  readonly method: string;
  readonly path: string;
  /** The query string without its `?` */
  readonly rawQuery: string;
  readonly body: string;
}

/** Reads a REST request whole: its method, path, query and body */
export async function readRestRequest(request: IncomingMessage): Promise<RestRequest> {
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
  return { method, path: url.pathname, rawQuery, body: await readBody(request) };
}
