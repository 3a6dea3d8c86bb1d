/**
 * The Byroapi emulator (`timebridge emulate byroapi`), faithful to api-contracts-more §4:
 * `POST /api/v1/form` fills a template's fields from `form_data` (strings only) into a real
 * PDF (pdf-lib) and either answers it (`result.download: true` → 200 application/pdf with
 * `Content-Disposition: Attachment;filename=…`) or "sends" it by e-mail when
 * `result.email.to` is not null (recorded in `sent()` instead of SMTP) and answers an empty
 * 200. `result` is merged over Byroapi's defaults. Any failure is 500 with body `{}` and the
 * message in the reason phrase (`Error processing form <template>: <message>`).
 * `PUT /api/v1/template/{template}/{var_id}` stores a blank PDF for a template. Faults
 * (a 500 twice, a dropped connection, latency) through the emulator kit's control routes.
 */
import type { FastifyReply } from 'fastify';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';

export interface ByroapiField {
  name: string;
  /** From the bottom-left corner, in mm, as Byroapi's templates. */
  x: number;
  y: number;
  default?: string;
}

export interface ByroapiTemplate {
  fields: ByroapiField[];
  /** Blank PDFs by `var_id` (PUT /api/v1/template/…); none: a blank A4 page. */
  blanks: Map<string, Uint8Array>;
}

/** An e-mail Byroapi would have sent. */
export interface ByroapiMail {
  template: string;
  from: unknown;
  to: unknown;
  cc: unknown;
  subject: unknown;
  contents: unknown;
  attachment: string;
  pdf: Uint8Array;
}

export interface ByroapiEmulator extends Emulator {
  templates: Map<string, ByroapiTemplate>;
  sent(): ByroapiMail[];
  /** The form requests answered 200, oldest first (template and form_data as sent). */
  filled(): { template: string; formData: Record<string, unknown> }[];
}

/** moffman's approval form: who and which days. */
export const ABSENCE_TEMPLATE = 'Absence';
const absence = (): ByroapiTemplate => ({
  fields: [
    { name: 'user_id', x: 40, y: 250 },
    { name: 'date_from', x: 40, y: 240 },
    { name: 'date_to', x: 100, y: 240 },
    { name: 'date_approved', x: 40, y: 230 },
  ],
  blanks: new Map(),
});

const MM = 72 / 25.4;

class FormError extends Error {}

/** A reason phrase carries no line breaks and only Latin-1. */
const reason = (s: string) =>
  s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e\xa0-\xff]/g, '?')
    .slice(0, 500);

function fail(reply: FastifyReply, message: string) {
  reply.raw.statusMessage = reason(message);
  return reply.code(500).type('application/json').send({});
}

async function fillPdf(name: string, t: ByroapiTemplate, data: Record<string, unknown>): Promise<Uint8Array> {
  const blank = t.blanks.size === 1 ? [...t.blanks.values()][0] : undefined;
  let doc: PDFDocument;
  if (t.blanks.size > 1) {
    // A folder of blanks: the one named by a form_data value (Byroapi's pattern selector, user_id here).
    const sel = data.user_id;
    const chosen = typeof sel === 'string' ? t.blanks.get(sel) : undefined;
    if (!chosen) throw new FormError('Pattern selector (user_id) not present in the value set.');
    doc = await PDFDocument.load(chosen);
  } else if (blank) doc = await PDFDocument.load(blank);
  else {
    doc = await PDFDocument.create();
    doc.addPage([595.28, 841.89]);
    doc.setTitle(name);
  }
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.getPage(0);
  for (const f of t.fields) {
    const v = data[f.name] ?? f.default;
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new FormError(`Field ${f.name}: the value must be a string.`);
    page.drawText(v.replace(/[^\x20-\x7e\xa0-\xff]/g, '?'), { x: f.x * MM, y: f.y * MM, size: 11, font });
  }
  return doc.save();
}

export function createByroapiEmulator(opts: { seed?: number } = {}): ByroapiEmulator {
  const templates = new Map<string, ByroapiTemplate>([[ABSENCE_TEMPLATE, absence()]]);
  let sent: ByroapiMail[] = [];
  let filled: { template: string; formData: Record<string, unknown> }[] = [];
  const emulator = createEmulator({
    name: 'byroapi',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    errorBody: () => ({}),
    reset: () => {
      templates.clear();
      templates.set(ABSENCE_TEMPLATE, absence());
      sent = [];
      filled = [];
    },
  });
  const app = emulator.app;
  app.addContentTypeParser(['application/pdf', 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // A body that is not JSON: a plain 500 (Byroapi's aiohttp handler fails on it).
  app.setErrorHandler((err: { message: string }, _req, reply) => fail(reply, `Error processing request: ${err.message}`));

  app.post('/api/v1/form', async (req, reply) => {
    const body = (req.body ?? {}) as { template?: unknown; form_data?: unknown; result?: Record<string, unknown> };
    const name = String(body.template ?? '');
    try {
      const t = templates.get(name);
      if (!t) throw new FormError(`Unknown template: ${name}`);
      const data = (body.form_data && typeof body.form_data === 'object' ? body.form_data : {}) as Record<string, unknown>;
      const given = body.result ?? {};
      const email = { from: null, to: null, subject: null, contents: null, attachments: null, ...((given.email as object | undefined) ?? {}) } as Record<
        string,
        unknown
      >;
      const result = { download: false, download_name: null as string | null, ...given, email };
      const pdf = await fillPdf(name, t, data);
      filled.push({ template: name, formData: { ...data } });
      if (email.to !== null && email.to !== undefined)
        sent.push({
          template: name,
          from: email.from,
          to: email.to,
          cc: email.cc ?? null,
          subject: email.subject,
          contents: email.contents,
          attachment: typeof email.attachments === 'string' ? email.attachments : `${name}.pdf`,
          pdf,
        });
      if (result.download === true) {
        const dn = result.download_name;
        return reply
          .code(200)
          .type('application/pdf')
          .header('content-disposition', dn ? `Attachment;filename=${dn}` : 'Attachment')
          .send(Buffer.from(pdf));
      }
      return reply.code(200).send('');
    } catch (err) {
      return fail(reply, `Error processing form ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  app.put('/api/v1/template/:template/:varId', async (req, reply) => {
    const { template, varId } = req.params as { template: string; varId: string };
    try {
      const raw = req.body;
      if (!Buffer.isBuffer(raw)) throw new Error('the body is not a PDF');
      await PDFDocument.load(raw);
      const t = templates.get(template) ?? { fields: [], blanks: new Map<string, Uint8Array>() };
      t.blanks.set(varId, new Uint8Array(raw));
      templates.set(template, t);
      return reply.code(200).type('text/plain').send('Template succesfully updated.\n');
    } catch (err) {
      return fail(reply, `Error updating template: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  return Object.assign(emulator, { templates, sent: () => sent, filled: () => filled });
}

export const byroapiEmulatorEntry: EmulatorEntry = {
  create: ({ seed }) => createByroapiEmulator({ seed }),
  usage: (url) =>
    [
      `Byroapi: POST ${url}/api/v1/form   template: ${ABSENCE_TEMPLATE} (fields user_id, date_from, date_to, date_approved); no auth`,
      'timebridge.yaml (under attendance:):',
      '  approvals:',
      '    on: [calendar, api]',
      `    form: { url: ${url}/api/v1/form, template: ${ABSENCE_TEMPLATE}, dateFormat: DD.MM.YYYY }`,
      '    mail: { smtp: { host: localhost, port: 2525 }, from: hr@example.com, to: boss@example.com }',
    ].join('\n'),
};
