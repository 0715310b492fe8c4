/**
 * Dates and times of the demo, in the clinic's local time (the machine's time zone), written
 * as FHIR dateTime values with their UTC offset (https://hl7.org/fhir/R4/datatypes.html#dateTime).
 */

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

/** `YYYY-MM-DD` of a date in local time. */
export function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `YYYY-MM-DDThh:mm:ss±hh:mm` in local time. */
export function localDateTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${localDate(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** Local midnight of the day `d` falls on, moved by `days`. */
export function dayStart(d: Date, days = 0): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days);
}

/** The local time `minutes` after midnight of `day`. */
export function atMinutes(day: Date, minutes: number): Date {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, minutes);
}

/** `d` moved by a number of days (fractions allowed), in local calendar days. */
export function addDays(d: Date, days: number): Date {
  const whole = Math.floor(days);
  const r = new Date(d.getFullYear(), d.getMonth(), d.getDate() + whole, d.getHours(), d.getMinutes(), d.getSeconds());
  return new Date(r.getTime() + Math.round((days - whole) * 86_400_000));
}

/** Whole years between a birth date and `on`. */
export function ageOn(birth: Date, on: Date): number {
  let age = on.getFullYear() - birth.getFullYear();
  if (on.getMonth() < birth.getMonth() || (on.getMonth() === birth.getMonth() && on.getDate() < birth.getDate())) age--;
  return age;
}
