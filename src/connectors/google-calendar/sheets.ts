/**
 * Google Sheets API v4 `spreadsheets.values.get` (api-contracts.md §4) with the calendar
 * connection's credentials: one range in A1 notation, rows of display strings. Sheets
 * leaves trailing empty cells and rows out, and the `values` key out of an empty range;
 * its errors use the newer shape `{"error":{"code","message","status"}}`, whose message
 * ("Unable to parse range: X") is passed on.
 */
import { TimebridgeError, isTimebridgeError } from '../../core/errors.js';
import type { SheetRange } from '../kit/entry.js';
import type { GoogleCalendarClient } from './google-client.js';

interface ValueRange {
  range?: string;
  majorDimension?: string;
  values?: unknown[][];
}

export async function readSheetRange(client: GoogleCalendarClient, spreadsheetId: string, range: string): Promise<SheetRange> {
  let body: ValueRange | null;
  try {
    body = await client.call<ValueRange>({
      method: 'GET',
      path: `spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${encodeURIComponent(range)}`,
      query: { majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
    });
  } catch (err) {
    throw sheetsError(err, spreadsheetId, range);
  }
  const rows = Array.isArray(body?.values) ? body.values : [];
  return { range: body?.range ?? range, values: rows.map((r) => (Array.isArray(r) ? r.map((c) => (c === null || c === undefined ? '' : String(c))) : [])) };
}

/** Google's message for the range, and what to do about it. */
function sheetsError(err: unknown, spreadsheetId: string, range: string): unknown {
  if (!isTimebridgeError(err)) return err;
  const status = err.details?.['status'];
  const said = /"message"\s*:\s*"([^"]*)"/.exec(String(err.details?.['body'] ?? ''))?.[1] ?? err.message;
  const where = `spreadsheet ${spreadsheetId}, range ${range}`;
  if (status === 400)
    return new TimebridgeError('CONNECTOR_INVALID_INPUT', `Google Sheets refused ${where}: ${said}`, {
      hint: 'Fix the range (A1 notation such as Offices!A2:C) in attendance.sheets',
      cause: err,
    });
  if (status === 404)
    return new TimebridgeError('CONNECTOR_NOT_FOUND', `Google Sheets has no ${where}: ${said}`, {
      hint: 'Check attendance.sheets.spreadsheetId and that the sheet is shared with the connection’s account',
      cause: err,
    });
  if (status === 403 || status === 401)
    return new TimebridgeError('CONNECTOR_AUTH', `Google Sheets refused ${where}: ${said}`, {
      hint: 'Share the spreadsheet with the connection’s account and give the connection the scope https://www.googleapis.com/auth/spreadsheets.readonly',
      cause: err,
    });
  return err;
}
