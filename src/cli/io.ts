/** Where a command writes and what terminal it runs in; injected so commands are testable */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly cwd: string;
  /** Whether stdout and stderr are an interactive terminal (progress bars, tables) */
  readonly isTTY: boolean;
  readonly columns: number;
}

/** The process's own terminal */
export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true && process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
  };
}
