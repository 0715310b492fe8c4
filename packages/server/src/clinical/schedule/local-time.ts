/**
 * Clinic-local dates and times: the practice works in the node's time zone, and FHIR
 * dateTime values carry their UTC offset (https://hl7.org/fhir/R4/datatypes.html#dateTime).
 */
import { badRequest, parseDateRange } from '@chartroom/core';

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

/** Local midnight of a `YYYY-MM-DD` day; a 400 naming `field` when it is not a real date. */
export function parseLocalDay(text: string | undefined, field: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!m || !parseDateRange(text ?? '')) throw badRequest(`${field} must be a date YYYY-MM-DD; got ${JSON.stringify(text ?? null)}`, field);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** Parses a dateTime with a time zone (or a local `YYYY-MM-DDThh:mm`); a 400 naming `field` otherwise. */
export function parseInstant(text: unknown, field: string): Date {
  if (typeof text === 'string') {
    const local = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
    if (local && parseDateRange(text.slice(0, 10))) {
      const [h, mi, s] = [Number(local[4]), Number(local[5]), Number(local[6] ?? 0)];
      if (h < 24 && mi < 60 && s < 60) return new Date(Number(local[1]), Number(local[2]) - 1, Number(local[3]), h, mi, s);
    }
    if (/T.*(Z|[+-]\d{2}:\d{2})$/.test(text) && parseDateRange(text)) return new Date(text);
  }
  throw badRequest(`${field} must be a date-time such as 2026-03-04T09:30:00-05:00; got ${JSON.stringify(text ?? null)}`, field);
}

/** `YYYY-MM-DD` of a moment in local time. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `YYYY-MM-DDThh:mm:ss±hh:mm` in local time. */
export function localDateTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${localDay(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Local midnight of the day `d` falls on, moved by `days`. */
export function startOfLocalDay(d: Date, days = 0): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days);
}

/** Minutes after local midnight of `d`. */
export function minutesOfDay(d: Date): number {
  return d.getHours() * 60 + d.getMinutes();
}

/** `hh:mm[:ss]` to minutes after midnight, or undefined when malformed. */
export function parseClock(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (h > 24 || mi > 59 || (h === 24 && mi > 0)) return undefined;
  return h * 60 + mi;
}

/** Minutes after midnight to `hh:mm:ss` (a FHIR time). */
export function formatClock(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00`;
}
