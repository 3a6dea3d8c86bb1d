// Bundles the compiled CLI (dist/interfaces/cli/main.js) with esbuild into dist/cli-bundle/,
// one chunk per command plus shared chunks, so a run loads a few files instead of ~330 modules
// (issue 24: start-up). `npm run build` runs it after tsc; bin/timebridge.js uses the bundle
// when it is at least as new as dist/interfaces/cli/main.js, else dist/ itself.
//
// - better-sqlite3 (native addon) and pg stay outside; so does everything of the service stack:
//   the commands that start it (serve, worker, demo, emulate) are imported from dist/ and
//   bin/timebridge.js runs them from dist/ (one copy of zod, errors and registries there).
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
const UNBUNDLED = ['serve', 'worker', 'demo', 'emulate'];
const UNBUNDLED_MODULES = /\/commands\/(serve|demo|emulate)\.js$/;
const SERVICE_PACKAGES = /^(fastify|@fastify\/|fastify-|pino|pg|pg-boss|prom-client)/;

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle-cli: esbuild is not installed; the CLI runs from dist/ (slower start-up)\n');
  process.exit(0);
}

/** Service commands: imported from dist/ at run time, not bundled. */
const unbundledCommands = {
  name: 'unbundled-commands',
  setup(build) {
    build.onResolve({ filter: UNBUNDLED_MODULES }, (args) => ({
      path: path
        .relative(OUT, path.resolve(args.resolveDir, args.path))
        .split(path.sep)
        .join('/')
        .replace(/^(?!\.)/, './'),
      external: true,
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

fs.rmSync(OUT, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: { main: path.join(DIST, 'interfaces', 'cli', 'main.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // pg and pg-boss: a CLI run on a PostgreSQL store loads them from node_modules, as dist/ does.
  external: ['better-sqlite3', 'pg', 'pg-boss'],
  // CommonJS packages inside an ES module bundle need a require().
  banner: { js: "import { createRequire as __tbRequire } from 'node:module'; const require = __tbRequire(import.meta.url);" },
  plugins: [unbundledCommands, noZodLocales],
  metafile: true,
  logLevel: 'warning',
});
const service = Object.keys(result.metafile.inputs).filter((f) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  return m && SERVICE_PACKAGES.test(m[1]);
});
if (service.length) {
  process.stderr.write(`bundle-cli: the service stack got into the CLI bundle (${service.slice(0, 3).join(', ')}); keep it behind ${UNBUNDLED.join('/')}\n`);
  process.exit(1);
}
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stderr.write(`bundle-cli: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} kB in ${path.relative(REPO, OUT)}\n`);
