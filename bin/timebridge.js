#!/usr/bin/env node
// Entry point of the `timebridge` command: runs the compiled CLI (built by `npm ci` via `prepare`).
import { main } from '../dist/interfaces/cli/main.js';

process.exitCode = await main(process.argv);
