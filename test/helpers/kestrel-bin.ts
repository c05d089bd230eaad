/**
 * The `kestrel` command as users run it: the bin over the compiled dist/. `npm test` builds
 * first; a test file run on its own refuses a dist/ older than src/ rather than test stale code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const KESTREL_BIN = join(ROOT, 'bin', 'kestrel.js');

const built = join(ROOT, 'dist', 'cli', 'main.js');
if (!existsSync(built)) throw new Error('no dist/: run `npm run build` (npm test builds first)');
const builtAt = statSync(built).mtimeMs;
const src = join(ROOT, 'src');
const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).find(
  (file) =>
    file.endsWith('.ts') &&
    !file.endsWith('.test.ts') &&
    statSync(join(src, file)).mtimeMs > builtAt,
);
if (stale !== undefined)
  throw new Error(
    `dist/ is older than src/${stale}: run \`npm run build\` (npm test builds first)`,
  );
