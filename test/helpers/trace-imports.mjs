// Loaded with --import into a process under test: appends every module URL the process
// resolves to the file named by KESTREL_TRACE_IMPORTS, one per line, so a test can say what a
// command loaded. The hooks run on Node's loader thread.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.KESTREL_TRACE_IMPORTS ?? '/dev/null')}, resolved.url + '\\n');
  return resolved;
}
`)}`,
);
