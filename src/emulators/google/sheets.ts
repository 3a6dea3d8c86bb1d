/**
 * Google Sheets API v4 `spreadsheets.values.get` (api-contracts.md §4), in the Google
 * emulator for office attendance's runtime config: `GET /v4/spreadsheets/{id}/values/{range}`
 * with the range in A1 notation (`Sheet`, `Sheet!A2:C`, `Sheet!A:B`, `'My sheet'!A1:D200`,
 * `A1:B9` on the first sheet), `majorDimension` ROWS or COLUMNS, the answer's `range`
 * echoing the request, trailing empty cells and rows left out and `values` absent when
 * nothing is left; errors in the newer Google shape `{"error":{"code","message","status"}}`
 * (400 INVALID_ARGUMENT "Unable to parse range: X", 404 NOT_FOUND, 401 UNAUTHENTICATED),
 * and a knob that makes the next reads answer a status (500 INTERNAL, 503, 429).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthState } from './oauth.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export class SheetsError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
  body(): unknown {
    return { error: { code: this.status, message: this.message, status: STATUS_NAMES[this.status] ?? 'UNKNOWN' } };
  }
}

/** Spreadsheets by id: ordered sheets, each rows of cells. */
export class SheetsStore {
  readonly books = new Map<string, Map<string, string[][]>>();
  /** The next `times` reads answer `status` (a broken or overloaded Sheets). */
  private fault: { status: number; times: number } | null = null;

  /** Create or replace a sheet's cells. */
  setSheet(spreadsheetId: string, sheet: string, rows: string[][]): void {
    const book = this.books.get(spreadsheetId) ?? new Map<string, string[][]>();
    book.set(
      sheet,
      rows.map((r) => [...r]),
    );
    this.books.set(spreadsheetId, book);
  }

  failNext(status: number, times = 1): void {
    this.fault = { status, times };
  }

  reset(): void {
    this.books.clear();
    this.fault = null;
  }

  read(spreadsheetId: string, range: string, major: string | undefined): { range: string; majorDimension: string; values?: string[][] } {
    if (this.fault && this.fault.times > 0) {
      this.fault.times--;
      const status = this.fault.status;
      if (this.fault.times === 0) this.fault = null;
      throw new SheetsError(status, status === 429 ? 'Quota exceeded for quota metric Read requests' : 'Internal error encountered.');
    }
    const book = this.books.get(spreadsheetId);
    if (!book) throw new SheetsError(404, 'Requested entity was not found.');
    if (major !== undefined && major !== 'ROWS' && major !== 'COLUMNS')
      throw new SheetsError(400, `Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), "${major}"`);
    const a1 = parseA1(range, [...book.keys()][0] ?? 'Sheet1');
    if (!a1) throw new SheetsError(400, `Unable to parse range: ${range}`);
    const cells = book.get(a1.sheet);
    if (!cells) throw new SheetsError(400, `Unable to parse range: ${range}`);
    const lastRow = a1.lastRow ?? cells.length - 1;
    let rows: string[][] = [];
    for (let r = a1.firstRow; r <= lastRow && r < cells.length; r++) {
      const row = cells[r] ?? [];
      const lastCol = a1.lastCol ?? row.length - 1;
      rows.push(row.slice(a1.firstCol, lastCol + 1));
    }
    rows = trim(rows);
    if (major === 'COLUMNS') rows = trim(transpose(rows));
    const echoed = range.includes('!') ? range : `${a1.quoted}!${range === a1.sheet || range === a1.quoted ? '' : range}`.replace(/!$/, '');
    return { range: echoed, majorDimension: major ?? 'ROWS', ...(rows.length ? { values: rows } : {}) };
  }
}

interface A1 {
  sheet: string;
  quoted: string;
  firstRow: number;
  lastRow: number | null;
  firstCol: number;
  lastCol: number | null;
}

const colIndex = (letters: string): number => [...letters.toUpperCase()].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0) - 1;

/** `Sheet!A2:C`, `'My sheet'!A:B`, `Sheet`, `A1:B9` (on `firstSheet`); null when it is none of these. */
export function parseA1(range: string, firstSheet: string): A1 | null {
  const m = /^(?:'((?:[^']|'')+)'|([^!':]+?))(?:!(.*))?$/.exec(range);
  let sheet: string, cells: string | undefined;
  if (m && (m[3] !== undefined || !/^[A-Za-z]{1,3}\d*(:[A-Za-z]{1,3}\d*)?$/.test(range))) {
    sheet = m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2]!;
    cells = m[3];
  } else {
    sheet = firstSheet;
    cells = range;
  }
  const quoted = /^[A-Za-z0-9_]+$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
  if (cells === undefined || cells === '') return { sheet, quoted, firstRow: 0, lastRow: null, firstCol: 0, lastCol: null };
  const c = /^([A-Za-z]{1,3})(\d*)(?::([A-Za-z]{1,3})(\d*))?$/.exec(cells);
  if (!c) return null;
  const firstCol = colIndex(c[1]!);
  const firstRow = c[2] ? Number(c[2]) - 1 : 0;
  const lastCol = c[3] ? colIndex(c[3]) : c[4] === undefined && !c[3] ? firstCol : null;
  const lastRow = c[4] ? Number(c[4]) - 1 : c[3] === undefined ? (c[2] ? firstRow : null) : null;
  if (firstRow < 0 || (lastRow !== null && lastRow < firstRow) || (lastCol !== null && lastCol < firstCol)) return null;
  return { sheet, quoted, firstRow, lastRow, firstCol, lastCol };
}

/** Sheets leaves trailing empty cells and trailing empty rows out. */
function trim(rows: string[][]): string[][] {
  const out = rows.map((r) => {
    let n = r.length;
    while (n > 0 && (r[n - 1] ?? '') === '') n--;
    return r.slice(0, n);
  });
  while (out.length && out[out.length - 1]!.length === 0) out.pop();
  return out;
}

function transpose(rows: string[][]): string[][] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: width }, (_, c) => rows.map((r) => r[c] ?? ''));
}

export function registerSheetsRoutes(app: FastifyInstance, sheets: SheetsStore, oauth: OAuthState): void {
  app.get(
    '/v4/spreadsheets/:id/values/:range',
    async (req: FastifyRequest<{ Params: { id: string; range: string }; Querystring: Record<string, string> }>, reply: FastifyReply) => {
      try {
        if (!oauth.principalOf(req.headers.authorization)) throw new SheetsError(401, 'Request had invalid authentication credentials.');
        return sheets.read(req.params.id, req.params.range, req.query['majorDimension']);
      } catch (err) {
        if (err instanceof SheetsError) return reply.code(err.status).send(err.body());
        throw err;
      }
    },
  );
}
