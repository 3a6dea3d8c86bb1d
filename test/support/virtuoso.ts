/**
 * A real Virtuoso for the tests (app/virtuoso.ts): skipped with a visible message on a
 * machine without it, failing under CI (whose `.ci/run` installs `virtuoso-opensource`).
 */
import { VIRTUOSO_BIN, virtuosoAvailable } from '../../src/app/virtuoso.js';

export { startVirtuoso, virtuosoAvailable, virtuosoIni, VIRTUOSO_BIN, type Virtuoso } from '../../src/app/virtuoso.js';

/** Options for a `describe` that needs Virtuoso: skipped with a reason locally, failing under CI. */
export function needsVirtuoso(): { skip?: string } {
  if (virtuosoAvailable() || process.env.CI) return {};
  return { skip: `Virtuoso is not installed (${VIRTUOSO_BIN}); install it with apt-get install virtuoso-opensource to run these tests` };
}
