import { KestrelError } from '../core/errors.ts';
import { SWEEP_USAGE, WORKER_USAGE } from './commands/sweep-usage.ts';
import { EXIT, exitCodeOf, UsageError } from './exit-codes.ts';
import type { Io } from './io.ts';
import { processIo } from './io.ts';
import {
  EMULATE_USAGE,
  JOURNAL_CHECK_USAGE,
  JOURNAL_USAGE,
  RUN_USAGE,
  SMOKE_USAGE,
  USAGE,
} from './usage.ts';

type Command = (argv: readonly string[], io: Io) => Promise<number>;

/**
 * The commands, each loaded only when it runs: `kestrel help` loads nothing but the help texts,
 * and a backtest never loads ccxt, Lighter's signer, SQLite, WebSockets or the emulators
 */
const COMMANDS: Readonly<
  Record<string, { readonly load: () => Promise<Command>; readonly usage: string }>
> = {
  run: { load: async () => (await import('./commands/run.ts')).runCommand, usage: RUN_USAGE },
  sweep: {
    load: async () => (await import('./commands/sweep.ts')).sweepCommand,
    usage: SWEEP_USAGE,
  },
  worker: {
    load: async () => (await import('./commands/worker.ts')).workerCommand,
    usage: WORKER_USAGE,
  },
  smoke: {
    load: async () => (await import('./commands/smoke.ts')).smokeCommand,
    usage: SMOKE_USAGE,
  },
  emulate: {
    load: async () => {
      const { emulateCommand } = await import('./commands/emulate.ts');
      return (argv, io) => emulateCommand(argv, io);
    },
    usage: EMULATE_USAGE,
  },
  orders: { load: () => journalCommand('orders'), usage: JOURNAL_USAGE },
  fills: { load: () => journalCommand('fills'), usage: JOURNAL_USAGE },
  positions: { load: () => journalCommand('positions'), usage: JOURNAL_USAGE },
  journal: {
    load: async () => (await import('./commands/journal.ts')).journalMaintenanceCommand,
    usage: JOURNAL_CHECK_USAGE,
  },
};

async function journalCommand(what: 'orders' | 'fills' | 'positions'): Promise<Command> {
  const { journalCommand } = await import('./commands/journal.ts');
  return (argv, io) => journalCommand(what, argv, io);
}

/** The one line that says where the full help is */
function helpHint(command?: string): string {
  return `see \`kestrel help${command === undefined ? '' : ` ${command}`}\``;
}

/** Runs the `kestrel` command line and returns the exit code; never throws */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic] === undefined) {
      io.stderr(`kestrel help: no command ${JSON.stringify(topic)}; ${helpHint()}\n`);
      return EXIT.USAGE;
    }
    io.stdout(topic === undefined ? USAGE : COMMANDS[topic]!.usage);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`kestrel: unknown command ${JSON.stringify(name)}; ${helpHint()}\n`);
    return EXIT.USAGE;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    const code = exitCodeOf(error);
    if (error instanceof UsageError) {
      io.stderr(`kestrel ${name}: ${error.message}; ${helpHint(name)}\n`);
    } else if (error instanceof KestrelError || code !== EXIT.FAILED || isSystemError(error)) {
      io.stderr(`kestrel ${name}: ${oneLine((error as Error).message)}\n`);
    } else {
      io.stderr(
        `kestrel ${name}: unexpected failure: ${(error as Error).stack ?? String(error)}\n`,
      );
    }
    return code;
  }
}

/** An error of the operating system (a port in use, a file that cannot be written): its message says it all */
function isSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** A message as one line of bounded length: no multi-line dumps, no inlined sources */
function oneLine(message: string): string {
  const flat = message.replace(/\s*\n\s*/g, ' ');
  return flat.length <= 2000 ? flat : `${flat.slice(0, 2000)}…`;
}
