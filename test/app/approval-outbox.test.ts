/**
 * Approval forms and e-mail (issue 20, part 3) through a running service: moffman's
 * POST /api/v1/reservations approves, the outbox job gets the filled form from the Byroapi
 * emulator (a real PDF) or the built-in generator, and nodemailer sends it to a real SMTP
 * receiver (the `smtp-server` package, in-process on a free port): subject and body
 * filled, the creator in cc, the PDF attached. The form service answering 500 twice is
 * retried and makes one e-mail; a restart (a new service instance on the same store)
 * between form and e-mail makes exactly one; a job run again after its e-mail went out
 * sends nothing; a back-dated approval dates the form the day before the first day.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { PDFDocument } from 'pdf-lib';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { createByroapiEmulator, type ByroapiEmulator } from '../../src/emulators/byroapi/index.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN } from '../../src/emulators/google/index.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulators/google/oauth.js';
import { buildServer } from '../../src/interfaces/http/server.js';
import { openService, type Service } from '../../src/service/service.js';
import { createToken } from '../../src/service/tokens.js';
import { injectCall } from '../support/inject-call.js';
import { queueIdle, tb, until } from '../support/serve.js';

interface Received {
  raw: string;
  rcpt: string[];
}

/** A real SMTP receiver; `refuse` makes it turn connections away (the mail server down). */
async function smtpReceiver() {
  const mails: Received[] = [];
  const state = { refuse: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_s, cb) {
      cb(state.refuse ? Object.assign(new Error('mail server is down for maintenance'), { responseCode: 421 }) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ raw: Buffer.concat(chunks).toString('utf8'), rcpt: session.envelope.rcptTo.map((r) => r.address) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { mails, state, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The header's value (unfolded), the text part and the attached PDFs of a raw message. */
function parseMail(raw: string) {
  const [head] = raw.split(/\r?\n\r?\n/, 1) as [string];
  const header = (name: string) => new RegExp(`^${name}:\\s*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'mi').exec(head)?.[1]?.replace(/\r?\n(?=[ \t])/g, '') ?? null;
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(head)?.[1];
  assert.ok(boundary, 'a multipart message');
  const parts = raw.split(`--${boundary}`).slice(1, -1);
  const attachments: { filename: string; bytes: Buffer }[] = [];
  let text = '';
  for (const p of parts) {
    const [folded, ...rest] = p.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    // Unfold (RFC 5322: a line break before white space is removed, the white space kept).
    const ph = folded!.replace(/\r?\n(?=[ \t])/g, '');
    const body = rest.join('\n\n');
    if (/content-type:\s*text\/plain/i.test(ph))
      text = /quoted-printable/i.test(ph)
        ? body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
        : body;
    if (/content-type:\s*application\/pdf/i.test(ph)) {
      const filename = /filename="?([^";\r\n]+)"?/i.exec(ph)?.[1] ?? '';
      attachments.push({ filename, bytes: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
    }
  }
  return { header, text: text.trim(), attachments };
}

const PRAGUE = 'prague-office@group.calendar.google.com';

const quiet = () => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('approval forms and e-mail: the outbox', () => {
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
  let byro: ByroapiEmulator;
  let byroUrl: string;
  const opened: { svc: Service; app: FastifyInstance }[] = [];
  const dirs: string[] = [];
  /** The service's clock (approvals are dated by it). */
  let now = new Date('2030-02-20T09:30:00Z');

  const form = () => `    form: { url: "${byroUrl}/api/v1/form", template: Absence, dateFormat: DD.MM.YYYY }`;
  const yaml = (formLine: string, gUrl?: string, maxAttempts = 6) =>
    [
      `serve: { concurrency: 1, scheduler: false, maxAttempts: ${maxAttempts} }`,
      'store:',
      '  path: hub.sqlite',
      'connections:',
      gUrl
        ? `  google: { type: google-calendar, baseUrl: "${gUrl}/calendar/v3", tokenUrl: "${gUrl}/token", auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" } }`
        : '  google: { type: google-calendar, auth: { type: oauth, clientId: x, clientSecret: y, refreshToken: z } }',
      gUrl
        ? `links: { prague-office: { connection: google, scope: office, collection: "${PRAGUE}", externalKind: attendance, mapper: google-attendance, options: { office: prague } } }`
        : 'links: {}',
      'attendance:',
      '  scope: office',
      '  offices:',
      `    - { id: prague, name: Prague, calendar: "${PRAGUE}", connection: google }`,
      '  approvals:',
      `    on: [${gUrl ? 'calendar' : 'api'}]`,
      formLine,
      '    mail:',
      `      smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }`,
      '      from: { hr@example.com: HR }',
      '      to: boss@example.com',
      '      cc: [office@example.com]',
      '      subject: "Office attendance - {user_name} ({date_from} - {date_to})"',
      '      body: "The form of {user_name}: {date_from} - {date_to}."',
      '      attachment: "absence_{user_name}_{date_from}.pdf"',
      '',
    ].join('\n');

  async function open(dir: string, formLine: string, withPerson: boolean, gUrl?: string, maxAttempts?: number) {
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml(formLine, gUrl, maxAttempts));
    const env = { ...process.env };
    const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), { env, logger: quiet(), scheduler: false, clock: () => now });
    const { app } = await buildServer(svc, 'test');
    opened.push({ svc, app });
    await svc.startWorkers();
    const call = injectCall(app, {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'ann', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
    });
    if (withPerson) {
      const ann = await call('admin', 'POST', '/api/v1/records/person?scope=office', {
        fields: { name: 'Ann Novak', email: 'ann@example.com', username: 'ann' },
      });
      assert.equal(ann.status, 201, ann.text);
    }
    const idle = () => queueIdle(svc, 'the outbox jobs');
    const approve = async (start: string, end: string, approved = true) => {
      const r = await call('admin', 'POST', '/api/v1/reservations', {
        user: { name: 'Ann Novak', email: 'ann@example.com' },
        approved,
        start,
        end,
        request_dt: '11:38:00 2030/02/01',
        office_id: 'prague',
      });
      assert.equal(r.status, 200, r.text);
      if (approved && !gUrl) assert.ok(r.body.approvalJob, 'an outbox job was queued');
      return r.body as { id: string; approvalJob: string };
    };
    return { svc, app, call, idle, approve };
  }
  const fresh = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-approvals-'));
    dirs.push(d);
    return d;
  };
  const close = async (o: { svc: Service; app: FastifyInstance }) => {
    await o.app.close();
    await o.svc.stop(2000);
    opened.splice(opened.indexOf(o), 1);
  };
  const mailsTo = (subjectPart: string) => smtp.mails.filter((m) => parseMail(m.raw).header('Subject')?.includes(subjectPart));

  before(async () => {
    smtp = await smtpReceiver();
    byro = createByroapiEmulator({ seed: 20 });
    byroUrl = await byro.listen();
  });
  after(async () => {
    for (const o of [...opened]) await close(o);
    await byro?.close();
    await smtp?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('an approval gets the form from the form service and one e-mail: subject and body filled, the creator in cc, the PDF attached', async () => {
    now = new Date('2030-02-20T09:30:00Z');
    const s = await open(fresh(), form(), true);
    const before = byro.filled().length;
    await s.approve('2030-03-02', '2030-03-04');
    await s.idle();
    const mails = mailsTo('(02.03.2030 - 03.03.2030)');
    assert.equal(mails.length, 1);
    const m = parseMail(mails[0]!.raw);
    assert.equal(m.header('Subject'), 'Office attendance - Ann Novak (02.03.2030 - 03.03.2030)');
    assert.equal(m.text, 'The form of Ann Novak: 02.03.2030 - 03.03.2030.');
    assert.match(m.header('From')!, /HR.*<hr@example\.com>/);
    assert.match(m.header('To')!, /boss@example\.com/);
    assert.match(m.header('Cc')!, /office@example\.com/);
    assert.match(m.header('Cc')!, /ann@example\.com/, 'the creator (here the person) is in cc');
    assert.deepEqual(mails[0]!.rcpt.sort(), ['ann@example.com', 'boss@example.com', 'office@example.com']);
    assert.match(m.header('Message-ID')!, /^<approval-.+-v\d+@timebridge>$/);
    assert.equal(m.attachments.length, 1);
    assert.equal(m.attachments[0]!.filename, 'absence_Ann Novak_02-03-2030.pdf');
    assert.equal(m.attachments[0]!.bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await PDFDocument.load(m.attachments[0]!.bytes)).getPageCount(), 1);
    // The form data moffman sends, dated by the approval (before the start: as it is).
    assert.deepEqual(byro.filled().slice(before), [
      { template: 'Absence', formData: { user_id: 'ann@example.com', date_from: '02.03.2030', date_to: '03.03.2030', date_approved: '20.02.2030' } },
    ]);
    const jobs = await s.svc.queue.list({ limit: 10 });
    const job = jobs.find((j) => j.data.approval);
    assert.equal(job?.state, 'done');
    assert.equal(job?.result?.state, 'mailed');
    await close(s);
  });

  it('the form service answering 500 twice is retried, the failures visible in the job, and makes one e-mail', async () => {
    now = new Date('2030-02-21T08:00:00Z');
    const s = await open(fresh(), form(), true);
    byro.inject({ method: 'POST', path: '^/api/v1/form$', status: 500, times: 2 });
    const { approvalJob } = await s.approve('2030-04-06', '2030-04-07');
    await s.idle();
    const job = await s.svc.queue.get(approvalJob);
    assert.equal(job?.state, 'done');
    assert.equal(job?.attempts, 3, 'two failed tries, then the one that mailed');
    assert.equal(mailsTo('(06.04.2030 - 06.04.2030)').length, 1);
    // The same approval asked again (the same request): nothing new is queued or mailed.
    const again = await s.call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Ann Novak', email: 'ann@example.com' },
      approved: true,
      start: '2030-04-06',
      end: '2030-04-07',
      request_dt: '11:38:00 2030/02/01',
      office_id: 'prague',
    });
    assert.equal(again.body.outcome, 'unchanged');
    assert.equal(again.body.approvalJob, undefined);
    await s.idle();
    assert.equal(mailsTo('(06.04.2030 - 06.04.2030)').length, 1);
    await close(s);
  });

  it('a failure after the form is listed with its error; a restart (a new service on the same store) then sends exactly one e-mail', async () => {
    now = new Date('2030-02-22T08:00:00Z');
    const dir = fresh();
    const first = await open(dir, form(), true);
    smtp.state.refuse = true;
    const formsBefore = byro.filled().length;
    const { approvalJob } = await first.approve('2030-05-11', '2030-05-13');
    const failed = await until('the mail step failing', async () => {
      const j = await first.svc.queue.get(approvalJob);
      return j?.lastError ? j : null;
    });
    assert.equal(failed.lastError?.code, 'APPROVAL_MAIL_FAILED');
    assert.ok(byro.filled().length > formsBefore, 'the form was made before the mail step failed');
    const listed = await first.call('admin', 'GET', '/api/v1/jobs?limit=20');
    assert.equal(listed.status, 200, listed.text);
    assert.ok(JSON.stringify(listed.body).includes('APPROVAL_MAIL_FAILED'), 'the failure is visible in the job list');
    await close(first);
    assert.equal(mailsTo('(11.05.2030 - 12.05.2030)').length, 0);
    // `timebridge status` (the built CLI) names it while the service is down.
    const status = tb(dir, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /approval outbox: 1 approval e-mails waiting to retry, 0 dead\n {2}first: job .*APPROVAL_MAIL_FAILED/);

    smtp.state.refuse = false;
    const second = await open(dir, form(), false);
    await until('the e-mail', () => mailsTo('(11.05.2030 - 12.05.2030)').length > 0, 60_000);
    await second.idle();
    assert.equal(mailsTo('(11.05.2030 - 12.05.2030)').length, 1);
    const job = await second.svc.queue.get(approvalJob);
    assert.equal(job?.state, 'done');

    // The job run once more after its e-mail went out (a process that died after the mark, before the job was done): nothing is sent.
    const rerun = await second.svc.queue.enqueue({ linkId: job!.data.linkId, trigger: 'test', approval: job!.data.approval! });
    await second.idle();
    assert.equal((await second.svc.queue.get(rerun.id))?.result?.already, true);
    assert.equal(mailsTo('(11.05.2030 - 12.05.2030)').length, 1);
    await close(second);
  });

  it('without a form service the built-in PDF is attached', async () => {
    now = new Date('2030-02-23T08:00:00Z');
    const s = await open(fresh(), '    form: { builtin: true, dateFormat: YYYY-MM-DD }', true);
    const formsBefore = byro.filled().length;
    await s.approve('2030-06-01', '2030-06-04');
    await s.idle();
    const mails = mailsTo('(2030-06-01 - 2030-06-03)');
    assert.equal(mails.length, 1);
    const m = parseMail(mails[0]!.raw);
    assert.equal(m.attachments[0]!.filename, 'absence_Ann Novak_2030-06-01.pdf');
    const pdf = await PDFDocument.load(m.attachments[0]!.bytes);
    assert.equal(pdf.getTitle(), 'Office attendance approval: Ann Novak');
    assert.equal(byro.filled().length, formsBefore, 'the form service was not asked');
    await close(s);
  });

  it('a back-dated approval (after the first day) is dated the day before the first day, as moffman does', async () => {
    now = new Date('2030-07-09T15:00:00Z');
    const s = await open(fresh(), form(), true);
    const before = byro.filled().length;
    await s.approve('2030-07-06', '2030-07-08');
    await s.idle();
    assert.equal(byro.filled().length, before + 1);
    assert.deepEqual(byro.filled()[before]!.formData, {
      user_id: 'ann@example.com',
      date_from: '06.07.2030',
      date_to: '07.07.2030',
      date_approved: '05.07.2030',
    });
    assert.equal(mailsTo('(06.07.2030 - 07.07.2030)').length, 1);
    await close(s);
  });

  it('an approval made in the office calendar (on: [calendar]) is mailed once; the API’s approvals are not, with `api` left out', async () => {
    now = new Date('2030-02-24T08:00:00Z');
    const google = createGoogleEmulator({ seed: 21 });
    google.store.createCalendar(DEMO_USER, { id: PRAGUE, summary: 'Prague office', timeZone: 'UTC' });
    const cal = google.store.calendar(PRAGUE, DEMO_USER, 'owner');
    const s = await open(fresh(), form(), true, await google.listen());
    try {
      const pending = await s.approve('2030-08-05', '2030-08-07', false);
      assert.equal(pending.approvalJob, undefined);
      await s.idle();
      const ev = [...cal.events.values()].map((x) => x.ev).find((e) => e.status !== 'cancelled')!;
      assert.equal(ev.summary, '(Ann Novak)');
      // Approved by hand in the calendar: the state property set to approved.
      const priv = { ...ev.extendedProperties?.private, timebridgeState: 'approved' };
      google.store.writeEvent(cal, ev.id, { ...ev, extendedProperties: { ...ev.extendedProperties, private: priv } }, undefined, false);
      await s.svc.enqueueRun('prague-office', { trigger: 'test' });
      await s.idle();
      const rec = await s.call('admin', 'GET', `/api/v1/records/reservation/${pending.id}`);
      assert.equal(rec.body.fields.state, 'approved');
      assert.equal(mailsTo('(05.08.2030 - 06.08.2030)').length, 1);
      // Another run (nothing new) mails nothing more; an API approval with `api` not in `on` queues none.
      await s.svc.enqueueRun('prague-office', { trigger: 'test' });
      await s.idle();
      const api = await s.approve('2030-08-12', '2030-08-13');
      assert.equal(api.approvalJob, undefined);
      await s.idle();
      assert.equal(mailsTo('(05.08.2030 - 06.08.2030)').length, 1);
      assert.equal(mailsTo('(12.08.2030 - 12.08.2030)').length, 0);
    } finally {
      await close(s);
      await google.close();
    }
  });

  it('an approval whose tries are used up stays listed as dead, and a retry through the jobs API mails it', async () => {
    now = new Date('2030-02-25T08:00:00Z');
    const s = await open(fresh(), form(), true, undefined, 1);
    byro.inject({ method: 'POST', path: '^/api/v1/form$', status: 500, times: 1 });
    const { approvalJob } = await s.approve('2030-09-02', '2030-09-03');
    await s.idle();
    const dead = await s.call('admin', 'GET', `/api/v1/jobs/${approvalJob}`);
    assert.equal(dead.body.state, 'dead', dead.text);
    assert.equal(dead.body.lastError.code, 'APPROVAL_FORM_FAILED');
    assert.equal(mailsTo('(02.09.2030 - 02.09.2030)').length, 0);
    const retried = await s.call('admin', 'POST', `/api/v1/jobs/${approvalJob}/retry`);
    assert.ok(retried.status < 300, retried.text);
    await until('the e-mail', () => mailsTo('(02.09.2030 - 02.09.2030)').length > 0, 60_000);
    await s.idle();
    assert.equal(mailsTo('(02.09.2030 - 02.09.2030)').length, 1);
    await close(s);
  });
});
