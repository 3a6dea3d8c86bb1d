/**
 * A real Virtuoso (Debian package `virtuoso-opensource`, the store mu-semtech stacks run)
 * for the Timekeeper tests and the demo's Timekeeper stand-in: its own database folder and
 * `virtuoso.ini`, free loopback ports for SQL and HTTP, run with `+foreground`. The
 * anonymous `/sparql` user gets the SPARQL_UPDATE role (through `isql-vt`), as a mu-semtech
 * stack's database is opened to mu-authorization.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopChild, waitUntilAnswers } from './child-server.js';
import { promisify } from 'node:util';

export const VIRTUOSO_BIN = process.env.TB_VIRTUOSO_BIN ?? '/usr/bin/virtuoso-t';
export const ISQL_BIN = process.env.TB_ISQL_BIN ?? '/usr/bin/isql-vt';

export interface Virtuoso {
  /** The SPARQL endpoint, `http://127.0.0.1:<port>/sparql`. */
  sparqlUrl: string;
  httpPort: number;
  sqlPort: number;
  dir: string;
  /** Stops the server and keeps its folder (a later `start()` opens the same database). */
  halt(): Promise<void>;
  /** Starts it again on the same ports and database after `halt()`, with these ini settings if given. */
  start(o?: VirtuosoOptions): Promise<void>;
  /** Stops it and removes the folder. */
  stop(): Promise<void>;
  /** Runs a SPARQL update or query as the store's owner would (seed data, foreign triples). */
  sparql(text: string, form?: 'query' | 'update'): Promise<unknown>;
}

export function virtuosoAvailable(): boolean {
  try {
    fs.accessSync(VIRTUOSO_BIN, fs.constants.X_OK);
    fs.accessSync(ISQL_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface VirtuosoOptions {
  /** Rows a SPARQL answer is cut at, silently (Virtuoso's `ResultSetMaxRows`; default 100000). */
  resultSetMaxRows?: number;
}

/** A small ini: every file in `dir`, loopback ports, few buffers (tests and the demo hold a few hundred triples). */
export function virtuosoIni(dir: string, sqlPort: number, httpPort: number, o: VirtuosoOptions = {}): string {
  const f = (name: string) => path.join(dir, name);
  return [
    '[Database]',
    `DatabaseFile = ${f('virtuoso.db')}`,
    `ErrorLogFile = ${f('virtuoso.log')}`,
    `LockFile = ${f('virtuoso.lck')}`,
    `TransactionFile = ${f('virtuoso.trx')}`,
    `xa_persistent_file = ${f('virtuoso.pxa')}`,
    'ErrorLogLevel = 7',
    'FileExtend = 200',
    'Striping = 0',
    'TempStorage = TempDatabase',
    '[TempDatabase]',
    `DatabaseFile = ${f('virtuoso-temp.db')}`,
    `TransactionFile = ${f('virtuoso-temp.trx')}`,
    'Striping = 0',
    '[Parameters]',
    `ServerPort = 127.0.0.1:${sqlPort}`,
    'DisableUnixSocket = 1',
    'CheckpointInterval = 0',
    'CaseMode = 2',
    'DirsAllowed = .',
    'NumberOfBuffers = 2000',
    'MaxDirtyBuffers = 1200',
    'ThreadsPerQuery = 1',
    '[HTTPServer]',
    `ServerPort = 127.0.0.1:${httpPort}`,
    `ServerRoot = ${dir}`,
    'ServerThreads = 4',
    'MaxKeepAlives = 10',
    'KeepAliveTimeout = 10',
    'Charset = UTF-8',
    '[SPARQL]',
    `ResultSetMaxRows = ${o.resultSetMaxRows ?? 100_000}`,
    'MaxQueryExecutionTime = 60',
    '',
  ].join('\n');
}

/** `dir`: keep the database there (made if missing; kept by `stop`); default a temp folder removed by `stop`. */
export async function startVirtuoso(o: { dir?: string } & VirtuosoOptions = {}): Promise<Virtuoso> {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tb-virtuoso-'));
  fs.mkdirSync(dir, { recursive: true });
  const sqlPort = await freePort();
  const httpPort = await freePort();
  const ini = path.join(dir, 'virtuoso.ini');
  fs.writeFileSync(ini, virtuosoIni(dir, sqlPort, httpPort, o));
  const sparqlUrl = `http://127.0.0.1:${httpPort}/sparql`;
  let child: ChildProcess | null = null;
  const launch = async (settings?: VirtuosoOptions) => {
    if (settings) fs.writeFileSync(ini, virtuosoIni(dir, sqlPort, httpPort, settings));
    const log = fs.openSync(path.join(dir, 'out.log'), 'a');
    const c = spawn(VIRTUOSO_BIN, ['+foreground', '+configfile', ini], { cwd: dir, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child = c;
    try {
      await waitUntilUp(sparqlUrl, c, dir);
    } catch (err) {
      c.kill('SIGKILL');
      throw err;
    }
  };
  await launch();
  // The anonymous endpoint user may update (mu-authorization talks to it the same way); kept in the database.
  await promisify(execFile)(ISQL_BIN, [`127.0.0.1:${sqlPort}`, 'dba', 'dba', 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'], { timeout: 20_000 });
  const halt = async () => {
    if (child) await stopChild(child, 10_000);
    child = null;
  };
  return {
    sparqlUrl,
    httpPort,
    sqlPort,
    dir,
    halt,
    start: launch,
    stop: async () => {
      await halt();
      if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
    sparql: async (text, form = 'update') => {
      const res = await fetch(sparqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/sparql-results+json' },
        body: new URLSearchParams({ [form]: text }).toString(),
      });
      const body = await res.text();
      if (!res.ok) throw new Error(`Virtuoso answered ${res.status}: ${body.slice(0, 500)}`);
      return JSON.parse(body) as unknown;
    },
  };
}

/** Until the SPARQL endpoint answers an ASK. */
function waitUntilUp(url: string, child: ChildProcess, dir: string): Promise<void> {
  return waitUntilAnswers({
    name: 'virtuoso-t',
    url,
    child,
    logFile: path.join(dir, 'out.log'),
    timeoutMs: 30_000,
    answers: async () => {
      const res = await fetch(`${url}?query=${encodeURIComponent('ASK {}')}`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.ok;
    },
  });
}
