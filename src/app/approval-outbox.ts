/**
 * The approval outbox (issue 20, part 3): an approved reservation that needs a form and an
 * e-mail becomes a job in the service's durable job queue (`service/jobs/`), data
 * `{ linkId: "outbox:approval:<reservation id>", approval: { reservationId, version,
 * approvedAt, via, creatorEmail } }`. The queue gives what an outbox needs without a new
 * table on both stores: it survives restarts (a job left active by a process that died is
 * queued again), retries with exponential backoff, dead-letters after its attempts, and
 * is listed by `GET /api/v1/jobs` and counted by `timebridge status`.
 *
 * One job runs the steps form-requested → form-ready → mailed:
 * - form: POST to the Byroapi-compatible form service with `download: true` (no side
 *   effect there, so asking again is harmless), or the built-in PDF (pdf-lib);
 * - mail: nodemailer over SMTP, with the Message-ID fixed by the approval's key
 *   (`<approval-<reservation>-v<version>@timebridge>`).
 * Before mailing, the job looks for the key's "mailed" mark in the store (the webhook
 * delivery table: set-once, atomic across processes); it writes the mark as soon as the
 * SMTP server has accepted the message. So: a restart or failure before the SMTP server
 * accepted it → the job runs again and sends exactly one e-mail; a restart after the mark →
 * the job finds it and sends nothing. The one window left is a process dying between the
 * server's acceptance and the mark (milliseconds): the retry then sends a second copy with
 * the same Message-ID, which mail clients fold. Every approval is mailed (retried until the
 * SMTP server accepts, or dead and listed), never silently lost.
 */
import { TimebridgeError } from '../core/errors.js';
import { approvalFormData, attachmentName, fillTemplate, type ApprovalFacts } from '../core/fields/approval-form.js';
import type { HubRecord } from '../core/model.js';
import type { HubStore } from '../store/types.js';
import type { ApprovalsConfig } from './approval-config.js';
import type { AttendanceConfig } from './config-schema.js';

/** What an outbox job carries (RunJobData.approval). */
export interface ApprovalJobData {
  reservationId: string;
  /** The reservation's version that was approved: with the id, the approval's key. */
  version: number;
  /** When it was approved (UTC instant): `date_approved`. */
  approvedAt: string;
  /** `calendar` (a manual event) or `api`. */
  via: 'calendar' | 'api';
  /** Who made it (the manual event's creator); absent: the person. */
  creatorEmail?: string;
}

/** Enough of the job queue to add a job. */
export interface OutboxQueue {
  enqueue(data: { linkId: string; trigger: string; approval: ApprovalJobData }, opts?: { dedupeKey?: string }): Promise<{ id: string; folded: boolean }>;
}

export const outboxLinkId = (reservationId: string): string => `outbox:approval:${reservationId}`;
export const approvalKey = (a: Pick<ApprovalJobData, 'reservationId' | 'version'>): string => `approval-${a.reservationId}-v${a.version}`;

/** The mark lives "for ever" (the table is keyed with an expiry; 100 years). */
const MARK_YEARS = 100;

const logFree = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class ApprovalOutbox {
  constructor(
    private readonly store: Pick<HubStore, 'getRecords' | 'rememberDelivery'>,
    private readonly attendance: AttendanceConfig | undefined,
    private readonly env: NodeJS.ProcessEnv,
    private readonly clock: () => Date,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get config(): ApprovalsConfig | undefined {
    return this.attendance?.approvals;
  }

  /** Queue the approval's form and e-mail when the config asks for approvals made this way; null when it does not. */
  async queue(q: OutboxQueue, reservation: HubRecord, via: ApprovalJobData['via'], creatorEmail?: string): Promise<{ jobId: string } | null> {
    const cfg = this.config;
    if (!cfg || !cfg.on.includes(via) || reservation.fields.state !== 'approved') return null;
    const approval: ApprovalJobData = {
      reservationId: reservation.id,
      version: reservation.version,
      approvedAt: this.clock().toISOString(),
      via,
      ...(creatorEmail ? { creatorEmail } : {}),
    };
    const r = await q.enqueue({ linkId: outboxLinkId(reservation.id), trigger: `approval:${via}`, approval }, { dedupeKey: approvalKey(approval) });
    return { jobId: r.id };
  }

  /**
   * After a link run: the reservations the run approved (their change in this run moved them
   * from another state, or from nothing, to approved) are queued as `calendar` approvals —
   * a manual event approved, or a reservation approved in the office calendar. The creator
   * is `extras.creatorEmail` when the run's mapper put it there.
   */
  async queueFromRun(q: OutboxQueue, store: Pick<HubStore, 'changesOfRun' | 'getRecords'>, runId: string): Promise<string[]> {
    const cfg = this.config;
    if (!cfg || !cfg.on.includes('calendar')) return [];
    const approvedIn = new Map<string, number>();
    for (const ch of await store.changesOfRun(runId)) {
      if (ch.kind !== 'reservation' || ch.before?.fields.state === 'approved') continue;
      approvedIn.set(ch.recordId, ch.version);
    }
    if (!approvedIn.size) return [];
    const jobs: string[] = [];
    for (const r of await store.getRecords([...approvedIn.keys()])) {
      if (r.tombstone || r.fields.state !== 'approved') continue;
      // The version of the change that approved it (a later change of this run keeps the key).
      const version = approvedIn.get(r.id)!;
      const creator = (r.fields.extras as Record<string, unknown> | undefined)?.creatorEmail;
      const queued = await this.queue(q, { ...r, version }, 'calendar', typeof creator === 'string' ? creator : undefined);
      if (queued) jobs.push(queued.jobId);
    }
    return jobs;
  }

  /** Run one outbox job: form, then the e-mail (once). */
  async process(a: ApprovalJobData): Promise<Record<string, unknown>> {
    const cfg = this.config;
    if (!cfg) return { skipped: 'attendance.approvals is not configured' };
    const key = approvalKey(a);
    const messageId = `<${key}@timebridge>`;
    const now = this.clock().toISOString();
    // Already mailed (a retry after the mark was written): nothing to do. The probe leaves an already-expired row when there is no mark.
    if (!(await this.store.rememberDelivery(`mail:${key}`, now, now))) return { state: 'mailed', messageId, already: true };

    const [reservation] = await this.store.getRecords([a.reservationId]);
    if (!reservation || reservation.tombstone) return { skipped: 'the reservation is gone' };
    const [person] = await this.store.getRecords([String(reservation.fields.personId)]);
    const facts: ApprovalFacts = {
      userName: String(person?.fields.name ?? reservation.fields.personId),
      userEmail: String(person?.fields.email ?? ''),
      firstDay: String(reservation.fields.firstDay),
      lastDay: String(reservation.fields.lastDay),
      approvedAt: a.approvedAt,
    };
    const { formData, vars } = approvalFormData(facts, cfg.form.dateFormat);
    const pdf = 'url' in cfg.form ? await this.requestForm(cfg.form, formData) : await builtinForm(facts, formData);

    const mail = cfg.mail;
    const cc = [...addressees(mail.cc)];
    const creator = a.creatorEmail ?? facts.userEmail;
    if (mail.ccCreator && creator && !cc.some((c) => c.address.toLowerCase() === creator.toLowerCase())) cc.push({ name: facts.userName, address: creator });
    // Loaded here, so a service without approvals (and every CLI command) never loads them.
    const nodemailer = (await import('nodemailer')).default;
    const transport = nodemailer.createTransport({
      host: mail.smtp.host,
      port: mail.smtp.port,
      secure: mail.smtp.secure,
      ...(mail.smtp.auth ? { auth: { user: mail.smtp.auth.user, pass: this.password(mail.smtp.auth) } } : {}),
    });
    try {
      await transport.sendMail({
        messageId,
        from: addressees(mail.from)[0],
        to: addressees(mail.to),
        ...(cc.length ? { cc } : {}),
        subject: fillTemplate(mail.subject, vars),
        text: fillTemplate(mail.body, vars),
        attachments: [{ filename: attachmentName(mail.attachment, vars), content: Buffer.from(pdf), contentType: 'application/pdf' }],
      });
    } catch (err) {
      throw new TimebridgeError('APPROVAL_MAIL_FAILED', `the approval e-mail of reservation ${a.reservationId} was not sent: ${logFree(err)}`, {
        hint: `check attendance.approvals.mail.smtp (${mail.smtp.host}:${mail.smtp.port}); the outbox job tries again`,
        cause: err,
      });
    } finally {
      transport.close();
    }
    const at = this.clock();
    await this.store.rememberDelivery(`mail:${key}`, new Date(at.getTime() + MARK_YEARS * 365 * 86_400_000).toISOString(), at.toISOString());
    return { state: 'mailed', messageId, form: 'url' in cfg.form ? 'form-service' : 'builtin', bytes: pdf.byteLength };
  }

  private password(auth: NonNullable<ApprovalsConfig['mail']['smtp']['auth']>): string {
    if (auth.password !== undefined) return auth.password;
    const v = this.env[auth.passwordEnv!];
    if (v === undefined || v === '')
      throw new TimebridgeError('CONFIG_INVALID', `the SMTP password variable ${auth.passwordEnv} is not set`, {
        hint: `set ${auth.passwordEnv} in the service's environment and restart`,
      });
    return v;
  }

  /** Byroapi's POST /api/v1/form with `download: true`: the filled PDF. Anything but a 200 PDF is a failure to try again. */
  private async requestForm(form: { url: string; template: string }, formData: Record<string, string>): Promise<Uint8Array> {
    let res: Response;
    try {
      res = await this.fetchImpl(form.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template: form.template, form_data: formData, result: { download: true, download_name: `${form.template}.pdf` } }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new TimebridgeError('APPROVAL_FORM_FAILED', `the form service ${form.url} did not answer: ${logFree(err)}`, {
        hint: 'check attendance.approvals.form.url; the outbox job tries again',
      });
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').includes('application/pdf'))
      throw new TimebridgeError('APPROVAL_FORM_FAILED', `the form service answered ${res.status} ${res.statusText} for template ${form.template}`, {
        hint: 'Byroapi puts its reason in the status line; check the template name and the service; the outbox job tries again',
      });
    return body;
  }
}

/** Yagmail-style addressees (a string, a list, or {address: name}) as nodemailer's. */
export function addressees(v: string | string[] | Record<string, string> | undefined): { name: string; address: string }[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [{ name: '', address: v }];
  if (Array.isArray(v)) return v.map((address) => ({ name: '', address }));
  return Object.entries(v).map(([address, name]) => ({ name, address }));
}

/** The built-in approval form: one A4 page with the person, the days and the approval date. */
export async function builtinForm(f: ApprovalFacts, formData: Record<string, string>): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setTitle(`Office attendance approval: ${f.userName}`);
  doc.setProducer('Timebridge');
  doc.setCreationDate(new Date(Date.parse(f.approvedAt)));
  doc.setModificationDate(new Date(Date.parse(f.approvedAt)));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Office attendance approval', { x: 56, y: 770, size: 18, font: bold });
  const lines: [string, string][] = [
    ['Name', f.userName],
    ['E-mail', f.userEmail],
    ['From', formData.date_from ?? ''],
    ['To', formData.date_to ?? ''],
    ['Approved', formData.date_approved ?? ''],
  ];
  lines.forEach(([label, value], i) => {
    page.drawText(`${label}:`, { x: 56, y: 720 - i * 24, size: 12, font: bold });
    // The standard fonts are WinAnsi: characters outside it are shown as '?'.
    page.drawText(value.replace(/[^\x20-\x7e\u00a0-\u00ff]/g, '?'), { x: 150, y: 720 - i * 24, size: 12, font });
  });
  return doc.save();
}
