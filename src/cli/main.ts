import { KestrelError } from '../core/errors.ts';
import { EMULATE_USAGE, emulateCommand } from './commands/emulate.ts';
import { JOURNAL_USAGE, journalCommand } from './commands/journal.ts';
import { RUN_USAGE, runCommand } from './commands/run.ts';
import { SMOKE_USAGE, smokeCommand } from './commands/smoke.ts';
import { SWEEP_USAGE, WORKER_USAGE } from './commands/sweep-usage.ts';
import { EXIT, exitCodeOf, UsageError } from './exit-codes.ts';
import type { Io } from './io.ts';
import { processIo } from './io.ts';

const USAGE = `Usage: kestrel <command> [options]

Commands:
  run [strategy]     run a strategy: a backtest on the simulated venue, paper, or live
  sweep [strategy]   backtest every combination of --param values on all cores (or a queue)
  worker             take sweep runs from a Redis queue (kestrel sweep --queue)
  smoke              the pre-flight check on a venue: one far post-only order, acknowledged, canceled
  emulate VENUE      a local binance-usdm or lighter venue on 127.0.0.1, to rehearse against
  orders             the orders a journal recorded
  fills              the fills a journal recorded
  positions          the positions and balances a journal rebuilds to
  help [command]     show help

Run \`kestrel <command> --help\` for a command's options.

Exit codes: 0 ok, 1 unexpected failure, 2 bad command line, 3 bad market data,
4 strategy failed to load or threw, 5 venue unreachable or refused.
`;

const COMMANDS: Readonly<
  Record<
    string,
    { readonly run: (argv: readonly string[], io: Io) => Promise<number>; readonly usage: string }
  >
> = {
  run: { run: runCommand, usage: RUN_USAGE },
  sweep: {
    run: async (argv, io) => (await import('./commands/sweep.ts')).sweepCommand(argv, io),
    usage: SWEEP_USAGE,
  },
  worker: {
    run: async (argv, io) => (await import('./commands/worker.ts')).workerCommand(argv, io),
    usage: WORKER_USAGE,
  },
  smoke: { run: smokeCommand, usage: SMOKE_USAGE },
  emulate: { run: (argv, io) => emulateCommand(argv, io), usage: EMULATE_USAGE },
  orders: { run: (argv, io) => journalCommand('orders', argv, io), usage: JOURNAL_USAGE },
  fills: { run: (argv, io) => journalCommand('fills', argv, io), usage: JOURNAL_USAGE },
  positions: { run: (argv, io) => journalCommand('positions', argv, io), usage: JOURNAL_USAGE },
};

/** Runs the `kestrel` command line and returns the exit code; never throws */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    io.stdout(topic !== undefined && COMMANDS[topic] !== undefined ? COMMANDS[topic].usage : USAGE);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`kestrel: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const code = exitCodeOf(error);
    if (error instanceof UsageError) {
      io.stderr(`kestrel ${name}: ${error.message}\n\n${command.usage}`);
    } else if (error instanceof KestrelError || code !== EXIT.FAILED) {
      io.stderr(`kestrel ${name}: ${(error as Error).message}\n`);
    } else {
      io.stderr(
        `kestrel ${name}: unexpected failure: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
    return code;
  }
}
