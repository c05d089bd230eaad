#!/usr/bin/env node
// Runs the compiled command line (dist/, built by `npm install` through `prepare`, or by
// `npm run build`): no TypeScript is transpiled at start
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const built = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(built)) {
  process.stderr.write(
    'kestrel: not built yet (no dist/): run `npm run build` in the kestrel folder\n',
  );
  process.exit(1);
}
// In a git checkout, say so when the sources changed since the last build
if (existsSync(join(root, '.git'))) {
  const builtAt = statSync(built).mtimeMs;
  const src = join(root, 'src');
  const stale = readdirSync(src, { recursive: true }).some(
    (file) =>
      file.endsWith('.ts') &&
      !file.endsWith('.test.ts') &&
      statSync(join(src, file)).mtimeMs > builtAt,
  );
  if (stale)
    process.stderr.write(
      'kestrel: src/ changed since the last build; run `npm run build` for the current code\n',
    );
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
