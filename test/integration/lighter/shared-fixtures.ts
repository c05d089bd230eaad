import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The read-only shared material next to the repository, when it is there */
export const SHARED_LIGHTER = fileURLToPath(
  new URL('../../../../shared/fixtures/lighter/', import.meta.url),
);

/** Whether the shared Lighter fixtures are present (suites skip with a message when not) */
export const hasSharedFixtures = existsSync(SHARED_LIGHTER);

export const SKIP_MESSAGE = `../shared/fixtures/lighter is absent (${SHARED_LIGHTER}); fixture tests skipped`;

/** Reads and parses one shared fixture, by its path under fixtures/lighter */
export function readShared(path: string): unknown {
  return JSON.parse(readFileSync(`${SHARED_LIGHTER}${path}`, 'utf8'));
}
