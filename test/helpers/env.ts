/**
 * Runs `run` with one environment variable set (commands such as `kestrel run` read
 * process.env), then puts the variable back as it was, whatever `run` did
 */
export async function withEnv<T>(name: string, value: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env[name];
  process.env[name] = value;
  try {
    return await run();
  } finally {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  }
}
