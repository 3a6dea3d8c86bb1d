#!/usr/bin/env node
// Entry point of the `timebridge` command: runs the compiled CLI (built by `npm ci` via `prepare`).
// Start-up: from the bundle (scripts/bundle-cli.mjs) when it is at least as new as dist/; the
// service commands, a stale or missing bundle, and TB_CLI_FROM_DIST=1 run from dist/.
import fs from 'node:fs';
import { URL } from 'node:url';
import { commandOf, UNBUNDLED_COMMANDS } from '../dist/interfaces/cli/command-of.js';

const mtime = (rel) => fs.statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const command = commandOf(process.argv);
const bundled =
  !process.env.TB_CLI_FROM_DIST && !UNBUNDLED_COMMANDS.has(command ?? '') && mtime('../dist/cli-bundle/main.js') >= mtime('../dist/interfaces/cli/main.js');
const { main } = await import(bundled ? '../dist/cli-bundle/main.js' : '../dist/interfaces/cli/main.js');

process.exitCode = await main(process.argv);
