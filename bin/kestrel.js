#!/usr/bin/env node
// Runs the compiled command line (dist/, built by `npm install` through `prepare`, or by
// `npm run build` after editing src/): no TypeScript is transpiled at start
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js'))
    throw error;
  process.stderr.write(
    'kestrel: not built (no dist/): run `npm run build` in the kestrel folder\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
