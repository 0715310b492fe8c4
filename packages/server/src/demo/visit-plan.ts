/**
 * When a demo patient came to the practice: a first visit, check-ups, chronic-care
 * follow-ups, anticoagulation checks, psychiatry and psychotherapy sessions, sick visits.
 */
import { CONDITIONS } from './condition-catalog.js';
import type { ConditionKey } from './condition-catalog.js';
import type { FeaturedPatient } from './featured-patients.js';
import type { ClinicianKey } from './practice.js';
import type { Prescription } from './clinical-profile.js';
import type { Prng } from './prng.js';

/** One visit, in days before now. */
export interface Visit {
  daysAgo: number;
  by: ClinicianKey;
  kind: 'new' | 'annual' | 'followup' | 'acute' | 'inr' | 'psychiatry' | 'therapy';
  note?: string;
  acute?: ConditionKey;
}

export interface VisitPlanInput {
  age: number;
  historyDays: number;
  pcp: ClinicianKey;
  conditions: ConditionKey[];
  onsetDaysAgo: Map<ConditionKey, number>;
  prescriptions: Prescription[];
  psychiatry: boolean;
  therapy: boolean;
  featured: FeaturedPatient | undefined;
}

/** The visits of a patient's history, oldest first, all before today. */
export function planVisits(rng: Prng, p: VisitPlanInput): Visit[] {
  const visits: Visit[] = [];
  const h = p.historyDays;
  visits.push({ daysAgo: h, by: p.pcp, kind: 'new' });
  // Check-ups: every few months for toddlers, yearly for children and the chronically ill, every year or two otherwise.
  const chronic = p.conditions.filter((c) => CONDITIONS[c].area === 'primary' && CONDITIONS[c].treatments.length);
  const wellEvery = (): number => (p.age < 3 ? 180 : p.age < 18 || chronic.length ? 365 : rng.int(365, 1000));
  for (let d = h - wellEvery() + rng.int(-20, 20); d > 7; d -= wellEvery() + rng.int(-25, 25)) visits.push({ daysAgo: d, by: p.pcp, kind: 'annual' });
  // Chronic follow-up every 6–10 months (the last two years).
  if (chronic.length) {
    const start = Math.min(h, 730, Math.max(...chronic.map((c) => p.onsetDaysAgo.get(c) ?? 0)));
    for (let d = start - rng.int(90, 180); d > 3; d -= rng.int(180, 300)) visits.push({ daysAgo: d, by: p.pcp, kind: 'followup' });
  }
  // Anticoagulation: INR checks monthly in the last half year.
  const warfarin = p.prescriptions.find((x) => x.drug === 'warfarin');
  if (warfarin) for (let d = Math.min(180, warfarin.startedDaysAgo) - 10; d > 3; d -= rng.int(25, 40)) visits.push({ daysAgo: d, by: 'nursePractitioner', kind: 'inr' });
  // Psychiatry: medication management every 2½–5 months since treatment began (up to two years back).
  if (p.psychiatry) {
    const psychDrugs = p.prescriptions.filter((x) => x.by === 'psychiatrist');
    const start = Math.min(h, 730, psychDrugs.length ? Math.max(...psychDrugs.map((x) => x.startedDaysAgo)) + 14 : rng.int(60, 720));
    for (let d = start; d > 3; d -= rng.int(75, 150)) visits.push({ daysAgo: d, by: 'psychiatrist', kind: 'psychiatry' });
  }
  // Psychotherapy: every two to four weeks for the last few months.
  if (p.therapy) for (let d = rng.int(60, 120); d > 2; d -= rng.int(14, 28)) visits.push({ daysAgo: d, by: 'psychotherapist', kind: 'therapy' });
  // Acute problems: a visit on the day they began.
  for (const c of p.conditions) if (CONDITIONS[c].area === 'acute') visits.push({ daysAgo: p.onsetDaysAgo.get(c) ?? 30, by: p.pcp, kind: 'acute', acute: c });
  // A featured patient's note: a visit a few days ago with that clinician.
  if (p.featured?.note) visits.push({ daysAgo: rng.int(2, 6), by: p.featured.note.by, kind: p.featured.note.by === 'psychotherapist' ? 'therapy' : p.featured.note.by === 'psychiatrist' ? 'psychiatry' : 'followup', note: p.featured.note.text });
  visits.sort((a, b) => b.daysAgo - a.daysAgo);
  return visits.filter((v) => v.daysAgo >= 1);
}
