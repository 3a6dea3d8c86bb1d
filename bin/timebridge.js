#!/usr/bin/env node
// Entry point of the `timebridge` command: runs the compiled CLI (built by `npm ci` via `prepare`).
//
// Start-up (issue 24): the commands in BUNDLED_COMMANDS run from the one-file bundle
// dist/cli-bundle/main.cjs (scripts/bundle-cli.mjs) when it is at least as new as dist/,
// compiled through vm.Script with a V8 code cache per command kept beside it. The cache is
// written after the first successful run of a command (and again when V8 rejects it, e.g. after
// a Node upgrade); a read-only install just runs without it. Everything else — the service
// commands, help, a stale or missing bundle, TB_CLI_FROM_DIST=1 — runs dist/ as ES modules.
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { BUNDLED_COMMANDS, commandOf } from '../dist/interfaces/cli/command-of.js';

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const BUNDLE = path.join(DIST, 'cli-bundle', 'main.cjs');

/** The bundle's `main`, compiled with the command's code cache; `saveCache` writes it when there was none. */
function fromBundle(command) {
  const stat = fs.statSync(BUNDLE, { throwIfNoEntry: false });
  const built = fs.statSync(path.join(DIST, 'interfaces', 'cli', 'main.js'), { throwIfNoEntry: false });
  if (!stat || !built || stat.mtimeMs < built.mtimeMs) return null;
  const cacheFile = `${BUNDLE}.${command}.${stat.size}-${Math.trunc(stat.mtimeMs)}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(BUNDLE, 'utf8')), { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return;
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // A read-only install: run without a cache.
    }
  };
  return { main: module.exports.main, saveCache };
}

const command = commandOf(process.argv);
const bundle = !process.env.TB_CLI_FROM_DIST && command !== undefined && BUNDLED_COMMANDS.has(command) ? fromBundle(command) : null;
const { main } = bundle ?? (await import('../dist/interfaces/cli/main.js'));
process.exitCode = await main(process.argv);
// A help run compiles little of the command: its cache would leave the real runs compiling.
if (bundle && process.exitCode === 0 && !process.argv.some((a) => a === '-h' || a === '--help')) bundle.saveCache();
