/** Plain-words rendering of FHIR data types for the screens. */
import type { CodeableConcept, HumanName, Patient, Quantity, Reference } from './fhir-types';

/** "José Muñoz" from a name list (official first). */
export function nameOf(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return 'Unnamed';
  return n.text ?? [...(n.given ?? []), n.family ?? ''].join(' ').trim();
}

/** Text of a CodeableConcept (its text, else the first display, else the first code). */
export function conceptText(c: CodeableConcept | undefined): string {
  return c?.text ?? c?.coding?.find((x) => x.display)?.display ?? c?.coding?.[0]?.code ?? '';
}

/** The code of a CodeableConcept in a code system (or its first code). */
export function codeIn(c: CodeableConcept | undefined, system?: string): string | undefined {
  return (system ? c?.coding?.find((x) => x.system === system) : c?.coding?.[0])?.code;
}

/** "1.2 mmol/L". */
export function quantityText(q: Quantity | undefined): string {
  if (q?.value === undefined) return '';
  return `${q.value}${q.unit ? ` ${q.unit}` : ''}`;
}

/** The id in "Patient/123". */
export function refId(r: Reference | undefined): string | undefined {
  const ref = r?.reference;
  if (!ref) return undefined;
  const i = ref.lastIndexOf('/');
  return i >= 0 ? ref.slice(i + 1) : ref;
}

/** Age in whole years on `today`. */
export function ageOn(birthDate: string | undefined, today: Date = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const [y, m, d] = birthDate.split('-').map(Number);
  if (!y) return undefined;
  let age = today.getFullYear() - y;
  const bm = (m ?? 1) - 1;
  if (today.getMonth() < bm || (today.getMonth() === bm && today.getDate() < (d ?? 1))) age--;
  return age;
}

/** The medical record number of a patient. */
export function mrnOf(p: Patient): string | undefined {
  return (p.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR')) ?? p.identifier?.[0])?.value;
}

/** "25 Nov 2026". */
export function dateText(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "14:30". */
export function timeText(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** A patient's one-line identity: "Muñoz, José · 58 y · M · MRN RFP-000001". */
export function patientLine(p: Patient): string {
  const age = ageOn(p.birthDate);
  const parts = [age !== undefined ? `${age} y` : undefined, p.gender ? p.gender[0]?.toUpperCase() : undefined, p.birthDate ? `born ${dateText(p.birthDate)}` : undefined];
  const mrn = mrnOf(p);
  if (mrn) parts.push(`MRN ${mrn}`);
  return parts.filter(Boolean).join(' · ');
}
