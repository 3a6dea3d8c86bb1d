/** ISO-8601 durations as Timekeeper writes them (`PT2H30M`, `P1DT2H`): days, hours, minutes, seconds. */

const PATTERN = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Seconds, or null for text that is not such a duration (years, months and weeks have no fixed length here). */
export function parseDuration(text: string): number | null {
  const m = PATTERN.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return null;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(d! * 86400 + h! * 3600 + min! * 60 + s!);
}

/** The shortest form: `PT0S`, `PT45M`, `PT2H30M`, `PT26H` (hours, not days, as the frontend writes them). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  if (s === 0) return 'PT0S';
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${r ? `${r}S` : ''}`;
}
