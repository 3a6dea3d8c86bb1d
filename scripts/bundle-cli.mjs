// Bundles the compiled CLI (dist/interfaces/cli/main.js) with esbuild into one CommonJS file,
// dist/cli-bundle/main.cjs (issue 24: start-up). `npm run build` runs it after tsc.
// bin/timebridge.js runs it for the commands in BUNDLED_COMMANDS
// (src/interfaces/cli/command-of.ts) when it is at least as new as dist/interfaces/cli/main.js,
// through vm.Script with a V8 code cache kept beside it (main.cjs.<command>.<size>-<mtime>.cache):
// one file read and almost no compiling instead of ~350 ES modules resolved, read and compiled.
//
// - One CommonJS file, not ES modules, because only vm.Script takes a code cache on Node 20
//   (module.enableCompileCache() is Node 22+). Command modules stay lazy inside it: esbuild
//   wraps each module and evaluates it on first import.
// - better-sqlite3 (native addon) and pg/pg-boss stay outside, loaded from node_modules.
// - The service and emulator commands (serve, worker, demo, emulate) are not in it: bin runs
//   them, and help, from dist/. Their modules are replaced by stubs that say so.
// - zod's translated error messages (`z.locales`, 260 kB) are left out: Timebridge never
//   calls z.config() with another locale; English stays the default.
// Without esbuild (an install without dev dependencies) it says so and exits 0: the CLI then
// runs from dist/.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(REPO, 'dist');
const OUT = path.join(DIST, 'cli-bundle');
/** Command modules left out → the function each exports. */
const UNBUNDLED = { 'serve.js': 'registerServe', 'demo.js': 'registerDemo', 'emulate.js': 'registerEmulate' };
const SERVICE_PACKAGES = /^(fastify|@fastify\/|fastify-|pino|pg|pg-boss|prom-client)$/;

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle-cli: esbuild is not installed; the CLI runs from dist/ (slower start-up)\n');
  process.exit(0);
}

/** The service and emulator commands → a stub (bin/timebridge.js never runs them from the bundle). */
const unbundledCommands = {
  name: 'unbundled-commands',
  setup(build) {
    build.onResolve({ filter: /\/commands\/(serve|demo|emulate)\.js$/ }, (args) => ({ path: path.basename(args.path), namespace: 'unbundled' }));
    build.onLoad({ filter: /.*/, namespace: 'unbundled' }, (args) => ({
      contents: `export function ${UNBUNDLED[args.path]}() { throw new Error('timebridge: ${args.path} is not in the CLI bundle; bin/timebridge.js runs it from dist/'); }`,
      loader: 'js',
    }));
  },
};

/** zod's `locales` namespace → an empty module. */
const noZodLocales = {
  name: 'no-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

// Removing the folder also removes the code caches of the previous bundle.
fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: [path.join(DIST, 'interfaces', 'cli', 'main.js')],
  outfile: path.join(OUT, 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Identifiers keep their names, so stack traces (TIMEBRIDGE_DEBUG=1) stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // The sources are ES modules, which are strict.
  banner: { js: '"use strict";' },
  external: ['better-sqlite3', 'pg', 'pg-boss'],
  plugins: [unbundledCommands, noZodLocales],
  metafile: true,
  logLevel: 'warning',
});
const service = Object.keys(result.metafile.inputs).filter((f) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  return m && SERVICE_PACKAGES.test(m[1]);
});
if (service.length) {
  process.stderr.write(`bundle-cli: the service stack got into the CLI bundle (${service.slice(0, 3).join(', ')}); keep it behind serve/worker/demo/emulate\n`);
  process.exit(1);
}
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stderr.write(`bundle-cli: ${path.relative(REPO, path.join(OUT, 'main.cjs'))}, ${(bytes / 1024).toFixed(0)} kB\n`);
