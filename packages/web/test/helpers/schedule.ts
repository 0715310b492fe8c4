/**
 * Makes sure the signed-in page's node has an appointment today that can still be checked in: the
 * demo practice's day depends on the clock (late in the day every demo visit is over), so a test
 * that checks a patient in books one first when none is left — into a free slot later today, or,
 * after hours, a few minutes from now with an override reason (booking outside hours is allowed with one).
 */
import type { Page } from 'playwright-core';

/** Clinic-local `YYYY-MM-DDThh:mm` (the node runs in the machine's time zone). */
function local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Books an appointment later today for a patient matching `patientQuery`; returns the patient's name and the start. */
export async function bookLaterToday(page: Page, url: string, patientQuery = 'a'): Promise<{ name: string; start: string }> {
  const session = (await (await page.request.get(`${url}/api/session`)).json()) as { csrfToken: string };
  const headers = { 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' };
  const { schedules } = (await (await page.request.get(`${url}/api/schedules`)).json()) as { schedules: { practitionerId: string }[] };
  const hits = (await (await page.request.get(`${url}/api/patients?q=${encodeURIComponent(patientQuery)}&limit=50`)).json()) as { results: { id: string; name?: string; given?: string[]; family?: string }[] };
  const now = new Date();
  const today = local(now).slice(0, 10);
  // After hours: a few minutes from now, still today (just before midnight, one minute from now).
  const soon = new Date(now.getTime() + 10 * 60_000);
  const afterHours = local(soon).startsWith(today) ? soon : new Date(now.getTime() + 60_000);
  const errors: string[] = [];
  for (const s of schedules) {
    const free = (await (await page.request.get(`${url}/api/free-slots?practitioner=${s.practitionerId}&from=${today}&days=1`)).json()) as { slots?: { start: string }[] };
    const slot = free.slots?.find((x) => Date.parse(x.start) > now.getTime() + 5 * 60_000);
    for (const p of hits.results) {
      const body = slot
        ? { patient: p.id, practitioner: s.practitionerId, start: slot.start }
        : { patient: p.id, practitioner: s.practitionerId, start: local(afterHours), override: { reason: 'Browser test: after-hours visit' } };
      const res = await page.request.post(`${url}/api/appointments`, { headers, data: body });
      if (res.ok()) return { name: p.name ?? [...(p.given ?? []), p.family].filter(Boolean).join(' '), start: ((await res.json()) as { start: string }).start };
      errors.push(`${res.status()} ${await res.text()}`);
    }
  }
  throw new Error(`could not book an appointment later today (${schedules.length} schedules, ${hits.results.length} patients for "${patientQuery}"):\n${errors.slice(0, 5).join('\n')}`);
}
