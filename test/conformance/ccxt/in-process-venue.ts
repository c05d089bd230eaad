/**
 * A venue answered in-process for ccxt's HTTP layer: the real ccxt exchange class builds, signs
 * and sends every request through `fetch` (the `fetchImplementation` ccxt lets a user supply),
 * and this answers it. Every request is recorded and checked against the venue's documented
 * rules before it is answered; a rule broken, or a request no route answers, is a violation the
 * test fails on. Nothing in Kestrel is replaced.
 */

/** One request as it reached the venue */
export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** JSON bodies parsed; form bodies as a record; undefined without a body */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WireAnswer {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (request: WireRequest) => WireAnswer | Promise<WireAnswer>;

/** The venue's documented rules: one message per rule a request breaks */
export type Rules = (request: WireRequest) => readonly string[];

interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
}

function parseBody(text: string, contentType: string): unknown {
  if (text === '') return undefined;
  if (contentType.includes('json') || text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export class InProcessVenue {
  readonly requests: WireRequest[] = [];
  readonly violations: string[] = [];
  private readonly routes: Route[] = [];
  private readonly once: Route[] = [];
  private readonly rules: Rules;
  private readonly name: string;

  constructor(name: string, rules: Rules) {
    this.name = name;
    this.rules = rules;
  }

  /** Answers every request to `METHOD path` with the handler (later routes win) */
  on(method: string, path: string, handler: Handler): this {
    this.routes.unshift({ method, path, handler });
    return this;
  }

  /** Answers only the next request to `METHOD path` with the handler (a fault, a held answer) */
  next(method: string, path: string, handler: Handler): this {
    this.once.push({ method, path, handler });
    return this;
  }

  /**
   * The next request to `METHOD path` is handled as usual (the venue acts), and its answer lost:
   * the caller gets `status` instead
   */
  loseNext(method: string, path: string, status = 502): this {
    return this.next(method, path, async (request) => {
      const route = this.routes.find((r) => r.method === method && r.path === path);
      await route?.handler(request);
      return { status, body: 'Bad Gateway' };
    });
  }

  /** The requests to one path, oldest first */
  sent(method: string, path: string): WireRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  /** ccxt's `fetchImplementation` */
  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const parsed = new URL(url);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((init.headers ?? {}) as Record<string, string>))
      headers[key.toLowerCase()] = String(value);
    const request: WireRequest = {
      method: (init.method ?? 'GET').toUpperCase(),
      url,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      body: parseBody(
        typeof init.body === 'string' ? init.body : '',
        headers['content-type'] ?? '',
      ),
      headers,
    };
    this.requests.push(request);
    for (const problem of this.rules(request))
      this.violations.push(`${request.method} ${request.path}: ${problem}`);
    const matches = (route: Route) =>
      route.method === request.method && route.path === request.path;
    const onceIndex = this.once.findIndex(matches);
    const route = onceIndex >= 0 ? this.once.splice(onceIndex, 1)[0] : this.routes.find(matches);
    if (route === undefined) {
      this.violations.push(`${request.method} ${request.path}: no route on the ${this.name} venue`);
      return new Response(JSON.stringify({ error: 'no route' }), { status: 404 });
    }
    const answer = await route.handler(request);
    return new Response(
      typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body),
      {
        status: answer.status ?? 200,
        headers: { 'content-type': 'application/json', ...answer.headers },
      },
    );
  };
}

/** A record's field as a string, or undefined */
export function field(record: unknown, name: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[name];
  return value === undefined || value === null ? undefined : String(value);
}
