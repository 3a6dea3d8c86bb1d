/**
 * Virtuoso for the Timekeeper tests (started by `src/app/virtuoso.ts`, which the demo uses
 * too). Without the binary the tests skip with a visible message, and fail under CI (whose
 * `.ci/run` installs `virtuoso-opensource`).
 */
import { VIRTUOSO_BIN, virtuosoAvailable } from '../../src/app/virtuoso.js';

export { ISQL_BIN, startVirtuoso, VIRTUOSO_BIN, virtuosoAvailable, virtuosoIni, type Virtuoso, type VirtuosoOptions } from '../../src/app/virtuoso.js';

/** Options for a `describe` that needs Virtuoso: skipped with a reason locally, failing under CI. */
export function needsVirtuoso(): { skip?: string } {
  if (virtuosoAvailable() || process.env.CI) return {};
  return { skip: `Virtuoso is not installed (${VIRTUOSO_BIN}); install it with apt-get install virtuoso-opensource to run these tests` };
}
