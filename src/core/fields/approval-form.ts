/**
 * What an approval form and its e-mail say about an approved reservation (issue 20,
 * part 3), moffman's rules: `date_from` the first day, `date_to` the last day (inclusive),
 * `date_approved` when it was approved — unless that is after the start (a back-dated
 * approval), then moved back by (whole days since the start + 1), i.e. to the day before
 * the first day, as moffman does; dates in the configured format (tokens YYYY, MM, DD).
 * Pure.
 */
const DAY_MS = 86_400_000;

/** A day YYYY-MM-DD in moffman's format tokens (YYYY, MM, DD; anything else is kept). */
export function formatDay(day: string, format: string): string {
  const [y, m, d] = day.split('-') as [string, string, string];
  return format.replace(/YYYY|MM|DD/g, (t) => (t === 'YYYY' ? y : t === 'MM' ? m : d));
}

/** moffman's `date_approved`: the approval instant's day, or, when it is after the first day's start, that instant shifted back by (days since the start + 1). */
export function approvalDay(firstDay: string, approvedAt: string): string {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  const at = Date.parse(approvedAt);
  if (!(at > start)) return new Date(at).toISOString().slice(0, 10);
  const diffDays = Math.floor((at - start) / DAY_MS);
  return new Date(at - (diffDays + 1) * DAY_MS).toISOString().slice(0, 10);
}

export interface ApprovalFacts {
  userName: string;
  /** The person's e-mail: Byroapi's `user_id`. */
  userEmail: string;
  firstDay: string;
  lastDay: string;
  approvedAt: string;
}

/** Byroapi's `form_data` (every value a string) and the template variables of the e-mail. */
export function approvalFormData(f: ApprovalFacts, dateFormat: string): { formData: Record<string, string>; vars: Record<string, string> } {
  const formData = {
    user_id: f.userEmail,
    date_from: formatDay(f.firstDay, dateFormat),
    date_to: formatDay(f.lastDay, dateFormat),
    date_approved: formatDay(approvalDay(f.firstDay, f.approvedAt), dateFormat),
  };
  return { formData, vars: { ...formData, user_name: f.userName, user_email: f.userEmail } };
}

/** `{name}` placeholders filled from `vars`; unknown ones are left as they are. */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{([a-z_]+)\}/g, (all, k: string) => vars[k] ?? all);
}

/** The attachment's name: the template filled, `.` and `/` in the stem turned into `-` (moffman), `.pdf` kept. */
export function attachmentName(template: string, vars: Record<string, string>): string {
  const filled = fillTemplate(template, vars);
  const stem = filled.replace(/\.pdf$/i, '');
  return `${stem.replace(/[./]/g, '-')}.pdf`;
}
