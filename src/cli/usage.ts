/**
 * The help texts of the command line, in a module of their own so `kestrel help` (and every
 * command's refusal of a bad flag) needs nothing else loaded
 */

export const USAGE = `Usage: kestrel <command> [options]

Commands:
  run [strategy]     run a strategy: a backtest on the simulated venue, paper, or live
  sweep [strategy]   backtest every combination of --param values on all cores (or a queue)
  worker             take sweep runs from a Redis queue (kestrel sweep --queue)
  smoke              the pre-flight check on a venue: one far post-only order, acknowledged, canceled
  emulate VENUE      a local binance-usdm, bybit or lighter venue on 127.0.0.1, to rehearse against
  orders             the orders a journal recorded
  fills              the fills a journal recorded
  positions          the positions and balances a journal rebuilds to
  journal check|repair FILE   a journal's damage by sequence range; keep every valid record
  help [command]     show help

Run \`kestrel help <command>\` for a command's options.

Exit codes: 0 ok, 1 unexpected failure, 2 bad command line, 3 market data missing or
malformed, 4 the strategy failed to load, threw, or left a refused order promise unawaited,
5 venue unreachable or refused, 6 journal damaged, not a journal, or unwritable.
`;

export const RUN_USAGE = `Usage: kestrel run [strategy] [options]

Runs a strategy through the full order flow and writes a report: a backtest on the simulated
venue by default, paper trading with --venue paper, or live with --venue binanceusdm (any ccxt
exchange id) or --venue lighter.

  strategy               a strategy module (.ts, .js, .mjs) exporting a strategy object or a
                         factory as default (or as \`strategy\`), or a bundled one by name:
                         quoting (the default: a market maker) or trend (EMA crossover on candles)
Options:
  --data FILES           market data files, comma separated or repeated: trades or quotes
                         CSV, long-format depth CSV, ccxt order-book JSON lines (each may be
                         .gz); merged by time (default: a seeded synthetic market)
  --max-gap TIME         the longest stretch without market data a run may cross (default 1h)
  --allow-gaps           run across longer gaps anyway (the report marks them)
  --symbol SYMBOLS       instruments of the synthetic market, comma separated (default BTCUSDT)
  --from TIME            start (ISO 8601 or epoch ms); synthetic default 2026-01-01T00:00:00Z
  --to TIME              end; synthetic default: 24 hours after --from
  --capital N            starting balance in USDT (default 10000)
  --seed N               seeds the synthetic market and the latency model (default 1)
  --latency MS           median one-way latency of the simulated venue in ms (default 20)
  --leverage N           leverage the simulated venue allows (default 20)
  --funding FILES        funding-rate histories (CSV: time, rate; a symbol column or the file
                         name names the symbol) settled on the perpetuals' positions
  --funding-rate R       or a fixed funding rate per interval for every perpetual (0.0001 = 1 bp)
  --funding-interval T   the fixed rate's interval (default 8h: 00:00, 08:00, 16:00 UTC)
  --param KEY=VALUE      a strategy parameter, repeatable
  --out DIR              where the report goes (default ./kestrel-out)
  --json                 print the report as JSON instead of the summary
  --quiet                no progress bar
  --risk FILE            the pre-trade risk limits as JSON (README: Risk gate); defaults otherwise
Live and paper:
  --venue NAME           paper, lighter, or a ccxt exchange id (binanceusdm, bybit, ...)
  --url URL              the venue's base URL (a local emulator: kestrel emulate ...)
  --testnet              the venue's testnet
  --config FILE          a JSON file with the venue's settings and keys (else the environment)
  --duration TIME        stop after this long (90s, 5m, 1h); default: until Ctrl-C
  --journal FILE|URL     record every intent and venue event; a restart resumes from it. A
                         SQLite file, or postgres://user@host/db?owner=NAME for a journal
                         several processes share (each its own owner, the clientId prefix)
  --speed N              paper: replay speed (default 1, real time)
  --metrics-port N       serve Prometheus /metrics and /health on this port while running
                         (0: any free port, named in run.log)
  --metrics-host HOST    the address to serve them on (default 127.0.0.1, this machine only)
  --redis URL            share the API key's rate limit with every process using it, on this
                         Redis (redis://host:6379); default: this process spaces its own
  -h, --help             this help
`;

export const SMOKE_USAGE = `Usage: kestrel smoke --venue NAME [--testnet] [--url URL] [--config FILE] [--symbol S]

The check to run with real keys before going live: loads the markets, places one minimum-size
post-only buy far below the touch, waits for the venue to acknowledge it, cancels it, waits
for the cancel, and prints submit and cancel latency. Nothing is left resting.

  --venue NAME     lighter, or a ccxt exchange id (binanceusdm, ...)
  --testnet        the venue's testnet
  --url URL        a custom base URL (a local emulator: kestrel emulate ...)
  --config FILE    a JSON file with the venue's settings and keys (else the environment)
  --symbol S       the market to check on (default: the venue's first)
  --timeout MS     how long each step may take (default 20000)
`;

export const EMULATE_USAGE = `Usage: kestrel emulate binance-usdm|bybit|lighter [--port N] [--data FILES] [--speed N] [--key K --secret S] [--api-keys LIST]

Starts a local venue on 127.0.0.1 that speaks the real wire protocol (Binance USDⓈ-M REST and
user-data WebSocket, Bybit v5 REST and WebSockets, or Lighter REST and WebSocket), fills through
the simulated matching engine, and injects faults on request. Trade against it with
kestrel run --venue ... --url URL.

  --port N         the port (default: a free one, printed)
  --data FILES     trades / quotes CSV(.gz) to replay (default: a synthetic market)
  --speed N        replay speed (default 1, real time)
  --seed N         seeds the synthetic market (default 1)
  --key K          binance-usdm, bybit: the API key it accepts (default printed)
  --secret S       binance-usdm, bybit: the secret it accepts (default printed)
  --api-keys LIST  lighter: the account's API key indexes, e.g. 3,4,5 (default 3), each with its
                   well-known local key pair; more can be registered with POST /_kestrel/api-keys
`;

export const JOURNAL_USAGE = `Usage: kestrel orders|fills|positions --journal FILE|URL [--json] [--open]

Reads a journal (kestrel run --journal FILE|URL) and prints what happened, rebuilt by replay.

  --journal FILE   the journal to read (read-only): a SQLite file, or a postgres:// URL, whose
                   every owner (process) is shown, by owner
  --json           print JSON instead of a table
  --open           orders: only those still live

On a damaged journal the valid records are shown, the damage is listed on stderr and the exit
code is 6 (see kestrel journal check).
`;

export const JOURNAL_CHECK_USAGE = `Usage: kestrel journal check|repair FILE

  check FILE    lists every damaged stretch of a journal by sequence range, and what SQLite
                finds wrong with the file; changes nothing. Exit 0 when sound, 6 when damaged
  repair FILE   keeps every valid record (a new file under the same name), moves the damaged
                records that can still be read aside into FILE.damaged.jsonl, keeps the file
                as it was as FILE.pre-repair-<time>, and records the repair in the journal.
                Run it while no kestrel process writes the journal
`;
