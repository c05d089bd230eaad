/** The help of `kestrel sweep` and `kestrel worker`, apart so the command line loads them without the sweep's modules */
export const SWEEP_USAGE = `Usage: kestrel sweep [strategy] --param NAME=VALUES... [options]

Backtests every combination of the parameters given, on all cores (or on workers anywhere
through a Redis queue), and ranks the runs.

  strategy               as for kestrel run (a file, or quoting / trend); default quoting
  --param NAME=VALUES    a list (edgeBps=1,2,3) or an inclusive range START:END:STEP
                         (size=0.01:0.05:0.01); repeat for each parameter swept
Options:
  --metric NAME          rank by sharpe (default), sortino, calmar, totalReturn, netPnl,
                         maxDrawdown (lowest first), winRate or profitFactor
  --jobs N               worker threads (default: every core)
  --out DIR              where sweep.csv, sweep.html and runs/ go (default ./kestrel-sweep)
  --queue URL            enqueue the runs on Redis (redis://host:6379) for \`kestrel worker\`s
                         to take, and gather their results here
  --quiet                no progress bar
  --data, --symbol, --from, --to, --capital, --seed, --latency, --leverage
                         the market and the simulated venue, as for kestrel run (every run
                         sees the same)
  -h, --help             this help
`;

export const WORKER_USAGE = `Usage: kestrel worker --queue redis://host:6379 [options]

Takes the runs of \`kestrel sweep --queue\` from Redis and backtests them, one per thread, until
Ctrl-C (which lets the runs in hand finish). Strategy files and --data files must exist at the
same paths as on the machine that started the sweep (a shared disk or the same checkout).

Options:
  --queue URL            the Redis server the sweep enqueued on
  --jobs N               runs at once, each on its own thread (default: every core)
  --lock-ms MS           how long a run's lock lasts unrenewed: a run whose worker died is
                         retried elsewhere after this long (default 30000)
  -h, --help             this help
`;
