/**
 * The Byroapi emulator against api-contracts-more §4: a real filled PDF for `download: true`
 * (with its Content-Disposition), an empty 200 and a recorded e-mail when `email.to` is set,
 * `result` merged over the defaults, failures as 500 with body `{}` and the message in the
 * reason phrase, the template PUT, and faults from the emulator kit.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { createByroapiEmulator, type ByroapiEmulator } from '../../src/emulators/byroapi/index.js';
import { EMULATORS } from '../../src/emulators/registry.js';
import { startEmulate } from '../support/serve.js';

/** node:http, since fetch hides the reason phrase Byroapi puts its message in. */
function post(
  url: string,
  body: unknown,
  method = 'POST',
  type = 'application/json',
): Promise<{ status: number; reason: string; type: string; disposition: string; body: Buffer }> {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': type, 'content-length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          reason: res.statusMessage ?? '',
          type: String(res.headers['content-type'] ?? ''),
          disposition: String(res.headers['content-disposition'] ?? ''),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('Byroapi emulator', () => {
  let byro: ByroapiEmulator, url: string;
  const formData = { user_id: 'jane@firm.cz', date_from: '06.05.2024', date_to: '07.05.2024', date_approved: '03.05.2024' };
  before(async () => {
    byro = createByroapiEmulator({ seed: 4 });
    url = await byro.listen();
  });
  after(async () => byro?.close());

  it('is registered for `timebridge emulate byroapi`', async () => {
    const entry = await EMULATORS.byroapi!.load();
    assert.match(entry.usage('http://127.0.0.1:9'), /POST http:\/\/127\.0\.0\.1:9\/api\/v1\/form/);
  });

  it('download: a real PDF with the filled fields, named by download_name', async () => {
    const r = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: formData, result: { download: true, download_name: 'a.pdf' } });
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/pdf/);
    assert.equal(r.disposition, 'Attachment;filename=a.pdf');
    assert.equal(r.body.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await PDFDocument.load(r.body)).getPageCount(), 1);
    const bare = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: formData, result: { download: true } });
    assert.equal(bare.disposition, 'Attachment');
  });

  it('email.to set: an empty 200 and the e-mail recorded with its PDF; the attachment name defaults to <template>.pdf', async () => {
    const before = byro.sent().length;
    const email = {
      from: { 'hr@firm.cz': 'HR' },
      to: { 'boss@firm.cz': 'Boss' },
      cc: { 'jane@firm.cz': 'Jane Doe' },
      subject: 'Absence Jane Doe',
      contents: 'See attachment.',
    };
    const r = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: formData, result: { download: false, email } });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    const [mail] = byro.sent().slice(before);
    assert.deepEqual({ ...mail, pdf: undefined }, { template: 'Absence', ...email, attachment: 'Absence.pdf', pdf: undefined });
    assert.equal(Buffer.from(mail!.pdf).subarray(0, 5).toString(), '%PDF-');
    // No result at all: defaults (no download, no e-mail) → an empty 200, nothing sent.
    const plain = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: formData });
    assert.equal(plain.status, 200);
    assert.equal(byro.sent().length, before + 1);
  });

  it('failures: 500, body {}, the message in the reason phrase', async () => {
    const unknown = await post(`${url}/api/v1/form`, { template: 'Nope', form_data: formData });
    assert.deepEqual([unknown.status, unknown.reason, unknown.body.toString()], [500, 'Error processing form Nope: Unknown template: Nope', '{}']);
    const notString = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: { ...formData, date_to: 7 } });
    assert.equal(notString.status, 500);
    assert.match(notString.reason, /^Error processing form Absence: Field date_to/);
    assert.equal(notString.body.toString(), '{}');
    const notJson = await post(`${url}/api/v1/form`, 'not json');
    assert.equal(notJson.status, 500);
  });

  it('template PUT stores a blank PDF that the form is drawn on; a folder of blanks is chosen by user_id', async () => {
    const blank = await PDFDocument.create();
    blank.addPage([300, 300]);
    blank.setTitle('blank of jane');
    const bytes = Buffer.from(await blank.save());
    const put = await post(`${url}/api/v1/template/Absence/jane@firm.cz`, bytes, 'PUT', 'application/pdf');
    assert.deepEqual([put.status, put.body.toString()], [200, 'Template succesfully updated.\n']);
    const filled = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: formData, result: { download: true } });
    assert.equal((await PDFDocument.load(filled.body)).getTitle(), 'blank of jane');
    await post(`${url}/api/v1/template/Absence/joe@firm.cz`, bytes, 'PUT', 'application/pdf');
    const other = await post(`${url}/api/v1/form`, { template: 'Absence', form_data: { ...formData, user_id: 'ann@firm.cz' }, result: { download: true } });
    assert.deepEqual([other.status, other.reason], [500, 'Error processing form Absence: Pattern selector (user_id) not present in the value set.']);
    const bad = await post(`${url}/api/v1/template/Absence/x`, Buffer.from('not a pdf'), 'PUT', 'application/pdf');
    assert.equal(bad.status, 500);
    assert.match(bad.reason, /^Error updating template: /);
  });

  it('faults from the emulator kit: a 500 twice, then answers again', async () => {
    byro.inject({ method: 'POST', path: '^/api/v1/form$', status: 500, times: 2 });
    const body = { template: 'Absence', form_data: formData, result: { download: true } };
    assert.equal((await post(`${url}/api/v1/form`, body)).status, 500);
    assert.equal((await post(`${url}/api/v1/form`, body)).status, 500);
    const ok = await post(`${url}/api/v1/form`, body);
    assert.equal(ok.status, 200, ok.reason);
  });

  it('`timebridge emulate byroapi` (the built CLI) prints how to use it, answers a PDF, stops on SIGTERM', async () => {
    const emu = await startEmulate('byroapi');
    try {
      assert.match(emu.stdout(), /template: Absence/);
      const r = await post(`${emu.url}/api/v1/form`, { template: 'Absence', form_data: formData, result: { download: true } });
      assert.equal(r.status, 200);
      assert.equal(r.body.subarray(0, 5).toString(), '%PDF-');
    } finally {
      assert.equal(await emu.stop(), 0, emu.stderr());
    }
  });
});
