/**
 * FHIR date, dateTime and instant values as closed ranges of epoch milliseconds, the way
 * search compares them: `2020` covers the whole year, `2020-03-04T10:00:00Z` one second.
 * See https://hl7.org/fhir/R4/search.html#date
 */

/** A closed range [low, high] of epoch milliseconds. */
export interface MsRange {
  low: number;
  high: number;
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month, 0)).getUTCDate();
}

/** Date.UTC without its two-digit-year rule (Date.UTC(20, …) is 1920, not year 20). */
function utc(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/**
 * Parses a FHIR date/dateTime/instant into the range it covers, or undefined when the text is
 * not a valid date (month 13, 30 February, hour 25, an offset beyond ±14:00). A value without
 * a time zone is read as UTC. Seconds may be 60 (a leap second), as the FHIR pattern allows.
 */
export function parseDateRange(text: string): MsRange | undefined {
  const m = DATE_PATTERN.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (year < 1) return undefined;
  const month = m[2] === undefined ? undefined : Number(m[2]);
  const day = m[3] === undefined ? undefined : Number(m[3]);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month ?? 1))) return undefined;
  if (month === undefined) {
    return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) - 1 };
  }
  if (day === undefined) {
    return { low: utc(year, month - 1, 1), high: utc(year, month, 1) - 1 };
  }
  if (m[4] === undefined) {
    return { low: utc(year, month - 1, day), high: utc(year, month - 1, day + 1) - 1 };
  }
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? undefined : Number(m[6]);
  if (hour > 23 || minute > 59 || (second !== undefined && second > 60)) return undefined;
  let offsetMs = 0;
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(4, 6));
    if (om > 59 || oh > 14 || (oh === 14 && om > 0)) return undefined;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  const base = utc(year, month - 1, day, hour, minute, second ?? 0) - offsetMs;
  if (second === undefined) return { low: base, high: base + 60_000 - 1 };
  const fraction = m[7];
  if (fraction === undefined) return { low: base, high: base + 999 };
  const ms = Number((fraction + '00').slice(0, 3));
  const width = fraction.length >= 3 ? 1 : 10 ** (3 - fraction.length);
  return { low: base + ms, high: base + ms + width - 1 };
}
