import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { KestrelError } from '../core/errors.ts';
import type { AccountProcessor } from '../engine/account-processor.ts';
import type { HealthMonitor } from '../engine/health-monitor.ts';
import { createMetricsRegistry } from '../engine/metrics-registry.ts';
import type { Journal, JournalBacklog, JournalHealth } from '../journal/journal.ts';

/** Where a live process serves its metrics; 127.0.0.1 unless widened on purpose */
export interface MetricsEndpoint {
  readonly port: number;
  /** Default 127.0.0.1 (this machine only); `0.0.0.0` serves every interface */
  readonly host?: string | undefined;
}

/** What `/health` answers: liveness, the run's phase, each venue stream and the journal */
export interface HealthReport {
  /** `ok`: trading and everything connected; `degraded`: a stream is down or the journal fails */
  readonly status: 'starting' | 'ok' | 'degraded' | 'stopping';
  readonly pid: number;
  readonly uptimeSeconds: number;
  /** The clientId prefix this process owns */
  readonly owner: string | undefined;
  readonly streams: ReadonlyArray<{
    readonly exchange: string;
    readonly connected: boolean | undefined;
    /** Since the stream last delivered anything, ms */
    readonly lastMessageAgeMs: number | undefined;
  }>;
  readonly journal:
    | {
        readonly state: JournalHealth['state'];
        readonly lagEntries: number;
        readonly lagMs: number;
        readonly error?: string;
      }
    | undefined;
  /** Why the status is not ok, one line each */
  readonly problems: readonly string[];
}

export interface HealthSources {
  readonly phase: () => 'starting' | 'running' | 'stopping';
  readonly owner: string | undefined;
  readonly health: () => HealthMonitor | undefined;
  readonly journal: () => { readonly health: JournalHealth; backlog(): JournalBacklog } | undefined;
  readonly startedAt: number;
}

/** The `/health` report of a process, as its sources stand now */
export function healthReport(sources: HealthSources): HealthReport {
  const now = Date.now();
  const snapshot = sources.health()?.snapshot();
  const streams = (snapshot?.exchanges ?? []).map((h) => ({
    exchange: h.exchange,
    connected: h.streamConnected,
    lastMessageAgeMs:
      h.lastStreamMessageAt === undefined
        ? undefined
        : Math.max(0, (snapshot?.time ?? now) - h.lastStreamMessageAt),
  }));
  const journal = sources.journal();
  const backlog = journal?.backlog();
  const problems: string[] = [];
  for (const stream of streams)
    if (stream.connected === false) problems.push(`${stream.exchange} stream disconnected`);
  if (journal !== undefined && journal.health.state !== 'ok')
    problems.push(`journal ${journal.health.state}: ${journal.health.error.message}`);
  const phase = sources.phase();
  return {
    status:
      phase === 'starting'
        ? 'starting'
        : phase === 'stopping'
          ? 'stopping'
          : problems.length > 0
            ? 'degraded'
            : 'ok',
    pid: process.pid,
    uptimeSeconds: Math.round((now - sources.startedAt) / 100) / 10,
    owner: sources.owner,
    streams,
    journal:
      journal === undefined || backlog === undefined
        ? undefined
        : {
            state: journal.health.state,
            lagEntries: backlog.entries,
            lagMs: backlog.oldestMs,
            ...(journal.health.state === 'ok' ? {} : { error: journal.health.error.message }),
          },
    problems,
  };
}

export interface MetricsServer {
  /** `http://host:port`, with the port the server got */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions extends MetricsEndpoint {
  readonly registry: Registry;
  readonly health: () => HealthReport;
}

function listenError(host: string, port: number, error: NodeJS.ErrnoException): KestrelError {
  const where = `${host}:${port}`;
  const why =
    error.code === 'EADDRINUSE'
      ? 'is in use'
      : error.code === 'EACCES'
        ? 'needs privileges to listen on'
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? 'is not an address of this machine'
          : `cannot be listened on (${error.code ?? error.message})`;
  return new KestrelError('INVALID_CONFIG', `metrics: ${where} ${why}`, {
    field: 'metrics-port',
    value: port,
    cause: error,
  });
}

/**
 * Serves `/metrics` (Prometheus text, read from the registry at each scrape) and `/health`
 * (JSON; HTTP 200 while starting, trading with everything connected, or stopping, 503 while a
 * stream is down or the journal cannot be written). Nothing else is served.
 * @throws KestrelError INVALID_CONFIG naming the address when it cannot be listened on
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      response.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
      return;
    }
    if (path === '/health') {
      const report = options.health();
      response
        .writeHead(report.status === 'degraded' ? 503 : 200, {
          'content-type': 'application/json',
        })
        .end(`${JSON.stringify(report)}\n`);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /health\n');
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${(error as Error).message}\n`);
    });
  });
  // A scraper that keeps its connection open must not hold the process at stop
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(listenError(host, options.port, error)),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The metrics of a live run: served from the start, fed as the run builds its parts */
export interface LiveMetrics {
  readonly url: string;
  /** Hands over the run's parts once they exist */
  attach(parts: {
    readonly health: HealthMonitor;
    readonly account: AccountProcessor;
    readonly journal: Journal | undefined;
  }): void;
  setPhase(phase: 'starting' | 'running' | 'stopping'): void;
  close(): Promise<void>;
}

/**
 * Starts serving a live run's metrics before anything else happens, so an address that cannot
 * be used refuses the run before it touches the venue or the journal.
 * @throws KestrelError INVALID_CONFIG naming the address when it cannot be listened on
 */
export async function serveLiveMetrics(
  endpoint: MetricsEndpoint,
  owner: string,
): Promise<LiveMetrics> {
  let parts:
    | { health: HealthMonitor; account: AccountProcessor; journal: Journal | undefined }
    | undefined;
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const registry = createMetricsRegistry(
    {
      health: () => parts?.health,
      account: () => parts?.account,
      journal: () => parts?.journal,
    },
    { labels: { owner }, processMetrics: true },
  );
  const startedAt = Date.now();
  const server = await startMetricsServer({
    ...endpoint,
    registry,
    health: () =>
      healthReport({
        phase: () => phase,
        owner,
        startedAt,
        health: () => parts?.health,
        journal: () => parts?.journal,
      }),
  });
  return {
    url: server.url,
    attach(given) {
      parts = { ...given };
    },
    setPhase(next) {
      phase = next;
    },
    close: () => server.close(),
  };
}
