// Preloaded into a measured node child (`node --import bench/module-count-hook.mjs …`) to
// count the modules it loads: every ESM module through a loader hook (one line per file
// URL appended to $TB_BENCH_MODULES_FILE), and at exit the CommonJS modules in
// require.cache (required from CommonJS packages, which the ESM hook does not see).
// Node built-ins are not counted. The hook itself slows the child: time it without.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';
import process from 'node:process';
import { URL, pathToFileURL } from 'node:url';

const file = process.env.TB_BENCH_MODULES_FILE;
if (file) {
  register(new URL(import.meta.url), { data: { file } });
  process.on('exit', () => {
    const cache = createRequire(import.meta.url).cache;
    fs.appendFileSync(
      file,
      Object.keys(cache)
        .map((f) => pathToFileURL(f).href + '\n')
        .join(''),
    );
  });
}

let out = null;
/** Loader-hook side (runs on the hooks thread): remember where to write. */
export function initialize(data) {
  out = data?.file ?? null;
}
export async function load(url, context, next) {
  if (out && url.startsWith('file:')) fs.appendFileSync(out, url + '\n');
  return next(url, context);
}
