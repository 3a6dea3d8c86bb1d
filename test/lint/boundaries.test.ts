/**
 * The layer boundaries of eslint.config.js bite: each import below crosses a layer and must be
 * refused for the file it is put in, and each allowed one must pass.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function refusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const LEAKS: [file: string, importLine: string][] = [
  ['src/core/new-thing.ts', "import '../store/types.js';"],
  ['src/core/new-thing.ts', "import 'node:fs';"],
  ['src/runtime/new-thing.ts', "import '../connectors/kimai/kimai-time.js';"],
  ['src/runtime/new-thing.ts', "import '../store/sqlite/sqlite-store.js';"],
  ['src/runtime/new-thing.ts', "import '../service/service.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../kimai/kimai-time.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../../store/types.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../../runtime/apply.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../registry.js';"],
  ['src/connectors/kit/new-thing.ts', "import '../jira/adf.js';"],
  ['src/store/new-thing.ts', "import '../runtime/apply.js';"],
  ['src/service/new-thing.ts', "import '../connectors/google-calendar/push.js';"],
  ['src/app/new-thing.ts', "import '../connectors/google-calendar/ids.js';"],
  ['src/interfaces/http/routes/new-thing.ts', "import '../../../connectors/kimai/kimai-api.js';"],
  ['src/emulators/new-thing.ts', "import '../connectors/kit/paging.js';"],
  ['src/interfaces/web/new-thing.ts', "import '../cli/format.js';"],
  ['src/interfaces/web/new-thing.ts', "import '../../store/sqlite/sqlite-store.js';"],
  ['src/interfaces/web/new-thing.ts', "import '../../connectors/kimai/kimai-api.js';"],
  ['src/emulators/google/new-thing.ts', "import '../../connectors/kit/zone-time.js';"],
];

const ALLOWED: [file: string, importLine: string][] = [
  ['src/core/new-thing.ts', "import './model.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../kit/paging.js';"],
  ['src/connectors/jira/new-thing.ts', "import '../../core/errors.js';"],
  ['src/connectors/kit/new-thing.ts', "import '../../core/errors.js';"],
  ['src/runtime/new-thing.ts', "import '../connectors/kit/connector.js';"],
  ['src/runtime/new-thing.ts', "import '../store/types.js';"],
  ['src/app/new-thing.ts', "import '../connectors/registry.js';"],
  ['src/service/new-thing.ts', "import '../connectors/kit/entry.js';"],
  ['src/interfaces/web/new-thing.ts', "import '../http/auth.js';"],
  ['src/interfaces/web/new-thing.ts', "import '../../runtime/run-link.js';"],
];

describe('layer boundaries (lint)', () => {
  for (const [file, line] of LEAKS) {
    it(`refuses ${line} in ${file}`, async () => {
      assert.equal((await refusals(file, `${line}\n`)).length, 1);
    });
  }
  for (const [file, line] of ALLOWED) {
    it(`allows ${line} in ${file}`, async () => {
      assert.deepEqual(await refusals(file, `${line}\n`), []);
    });
  }
});
