/**
 * `Patient/[id]/$summary`: the International Patient Summary document Bundle
 * (https://hl7.org/fhir/uv/ips/ and https://build.fhir.org/ig/HL7/fhir-ips/OperationDefinition-summary.html):
 * a Composition (LOINC 60591-5) with the IPS sections — problems, allergies, medications
 * (required; an empty one says why), immunizations, results and vital signs — then the
 * Patient and every resource the sections point at. Built from the node's own store, so it
 * works offline.
 *
 * Every reference in the document resolves inside it: the practitioners, organisations,
 * locations, devices and medications the entries point at are included (they carry no other
 * patient's data); a reference to anything else (an Encounter, another patient's record) is
 * reduced to its type and display, so nothing outside the summary's consented content is
 * pulled in.
 *
 * Psychotherapy notes (PSYTHPN) and 42 CFR Part 2 substance-use records (ETH, ETHUD, SUD,
 * 42CFRPart2) are left out unless an active Consent of the patient permits them (labels and
 * the Part 2 consent rule from `@chartroom/core` security labels).
 */
import { randomUUID } from 'node:crypto';
import { ACT_CODE_SYSTEM, hasPart2Consent, isPart2Record, isPsychotherapyNote, outcomeError } from '@chartroom/core';
import type { Bundle, BundleEntry, Composition, CompositionSection, Consent, Device, Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../store/fhir-repository.js';
import { readPatientChart } from '../continuity/patient-chart.js';
import type { PatientChart } from '../continuity/patient-chart.js';
import { describe } from '../continuity/describe.js';
import type { FhirRequest, FhirResponse } from './types.js';

export const LOINC = 'http://loinc.org';

/** The IPS sections: key, LOINC code, title, required. */
export const IPS_SECTIONS = [
  { key: 'problems', code: '11450-4', display: 'Problem list - Reported', title: 'Active Problems', required: true },
  { key: 'allergies', code: '48765-2', display: 'Allergies and adverse reactions Document', title: 'Allergies and Intolerances', required: true },
  { key: 'medications', code: '10160-0', display: 'History of Medication use Narrative', title: 'Medication Summary', required: true },
  { key: 'immunizations', code: '11369-6', display: 'History of Immunization Narrative', title: 'Immunizations', required: false },
  { key: 'results', code: '30954-2', display: 'Relevant diagnostic tests/laboratory data Narrative', title: 'Results', required: false },
  { key: 'vitals', code: '8716-3', display: 'Vital signs', title: 'Vital Signs', required: false },
] as const;

type SectionKey = (typeof IPS_SECTIONS)[number]['key'];

/** What was left out of a summary for privacy. */
export interface SummaryExclusions {
  psychotherapy: number;
  substanceUse: number;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function div(inner: string): { status: 'generated'; div: string } {
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>` };
}

/** True when an active Consent permits disclosing the patient's psychotherapy notes. */
function hasPsychotherapyConsent(consents: readonly Consent[], patientId: string, now: number): boolean {
  return consents.some((c) => {
    const p = c.provision;
    if (c.status !== 'active' || c.patient?.reference !== `Patient/${patientId}` || p?.type !== 'permit') return false;
    const start = p.period?.start ? Date.parse(p.period.start) : -Infinity;
    const end = p.period?.end ? Date.parse(p.period.end) : Infinity;
    return now >= start && now <= end && (p.securityLabel ?? []).some((l) => l.system === ACT_CODE_SYSTEM && l.code === 'PSYTHPN');
  });
}

/** Removes from the chart what the patient has not consented to share; returns the counts removed. */
export function withoutUnconsented(chart: PatientChart, now: number): { chart: PatientChart; excluded: SummaryExclusions } {
  const id = chart.patient.id ?? '';
  const part2 = hasPart2Consent(chart.consents, id, now);
  const psy = hasPsychotherapyConsent(chart.consents, id, now);
  const excluded: SummaryExclusions = { psychotherapy: 0, substanceUse: 0 };
  const keep = <T extends Resource>(list: T[]): T[] =>
    list.filter((r) => {
      if (!psy && isPsychotherapyNote(r)) {
        excluded.psychotherapy++;
        return false;
      }
      if (!part2 && isPart2Record(r)) {
        excluded.substanceUse++;
        return false;
      }
      return true;
    });
  return {
    chart: {
      ...chart,
      problems: keep(chart.problems),
      allergies: keep(chart.allergies),
      medications: keep(chart.medications),
      immunizations: keep(chart.immunizations),
      results: keep(chart.results),
      vitals: keep(chart.vitals),
      notes: keep(chart.notes),
    },
    excluded,
  };
}

/** Resource types a summary includes when its entries refer to them (directory data, no patient's record). */
const INCLUDED_REFERENCE_TYPES: ReadonlySet<string> = new Set(['Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Device', 'Medication']);
const LITERAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** Calls `visit` on every Reference-like object (one with a string `reference`) in a resource. */
function eachReference(value: unknown, visit: (ref: { reference?: string; type?: string; display?: string }) => void): void {
  if (Array.isArray(value)) for (const v of value) eachReference(v, visit);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.reference === 'string') visit(o as { reference: string });
    for (const [k, v] of Object.entries(o)) if (k !== 'reference') eachReference(v, visit);
  }
}

/** The directory resources (practitioners, organisations…) `roots` refer to, followed a few levels deep. */
export async function referencedDirectory(repo: FhirRepository, roots: readonly Resource[]): Promise<Resource[]> {
  const have = new Set(roots.map((r) => `${r.resourceType}/${r.id ?? ''}`));
  const out: Resource[] = [];
  let frontier: readonly Resource[] = roots;
  for (let depth = 0; depth < 3 && frontier.length; depth++) {
    const wanted: [string, string, string][] = [];
    for (const r of frontier) {
      eachReference(r, (ref) => {
        const m = LITERAL_REFERENCE.exec(ref.reference ?? '');
        if (!m?.[1] || !m[2] || have.has(m[0]) || !INCLUDED_REFERENCE_TYPES.has(m[1])) return;
        have.add(m[0]);
        wanted.push([m[0], m[1], m[2]]);
      });
    }
    const next: Resource[] = [];
    for (const [, type, id] of wanted) {
      const v = await repo.readCurrent(type, id);
      if (!v || v.deleted) continue;
      const r = JSON.parse(v.json) as Resource;
      out.push(r);
      next.push(r);
    }
    frontier = next;
  }
  return out;
}

/** Builds the IPS document Bundle for a chart (already filtered for consent), with the directory resources its entries refer to. */
export function ipsBundle(
  chart: PatientChart,
  opts: { baseUrl: string; now: number; practiceName?: string | undefined; newId?: () => string; referenced?: readonly Resource[] },
): Bundle {
  const newId = opts.newId ?? randomUUID;
  const when = new Date(opts.now).toISOString();
  const patientId = chart.patient.id ?? '';
  const entries: BundleEntry[] = [];
  const seen = new Set<string>();
  const add = (r: Resource): string => {
    const ref = `${r.resourceType}/${r.id ?? ''}`;
    if (!seen.has(ref)) {
      seen.add(ref);
      entries.push({ fullUrl: `${opts.baseUrl}/${ref}`, resource: r });
    }
    return ref;
  };
  const device: Device = {
    resourceType: 'Device',
    id: newId(),
    deviceName: [{ name: `Chartroom${opts.practiceName ? ` at ${opts.practiceName}` : ''}`, type: 'user-friendly-name' }],
  };
  const lists: Record<SectionKey, Resource[]> = {
    problems: chart.problems,
    allergies: chart.allergies,
    medications: chart.medications,
    immunizations: chart.immunizations,
    results: chart.results,
    vitals: chart.vitals,
  };
  const sections: CompositionSection[] = IPS_SECTIONS.map((s) => {
    const items = lists[s.key];
    const section: CompositionSection = {
      title: s.title,
      code: { coding: [{ system: LOINC, code: s.code, display: s.display }] },
    };
    if (items.length) {
      section.text = div(`<ul>${items.map((r) => `<li>${escapeXml(describe(r))}</li>`).join('')}</ul>`);
      section.entry = items.map((r) => ({ reference: `${r.resourceType}/${r.id ?? ''}` }));
    } else {
      section.text = div(`<p>No ${s.title.toLowerCase()} recorded.</p>`);
      section.emptyReason = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'unavailable', display: 'Unavailable' }] };
    }
    return section;
  });
  const composition: Composition = {
    resourceType: 'Composition',
    id: newId(),
    meta: { profile: ['http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips'] },
    text: div(`<p>International Patient Summary of ${escapeXml(describe(chart.patient))}, ${escapeXml(when)}</p>`),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject: { reference: `Patient/${patientId}` },
    date: when,
    author: [{ reference: `Device/${device.id ?? ''}` }],
    title: `International Patient Summary`,
    confidentiality: 'N',
    event: [{ code: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActClass', code: 'PCPR' }] }], period: { end: when } }],
    section: sections,
  };
  add(composition);
  add(chart.patient);
  add(device);
  for (const s of IPS_SECTIONS) for (const r of lists[s.key]) add(r);
  for (const r of opts.referenced ?? []) add(r);
  // A reference the document cannot resolve keeps only its type and display (entries are copies: the chart is not touched).
  for (const e of entries) {
    e.resource = structuredClone(e.resource);
    eachReference(e.resource, (ref) => {
      const target = ref.reference ?? '';
      if (target.startsWith('#') || seen.has(target)) return;
      const type = LITERAL_REFERENCE.exec(target)?.[1];
      delete ref.reference;
      if (type && !ref.type) ref.type = type;
      ref.display ??= `${type ?? 'Record'} not included in this summary`;
    });
  }
  return {
    resourceType: 'Bundle',
    id: newId(),
    meta: { profile: ['http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips'] },
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${newId()}` },
    type: 'document',
    timestamp: when,
    entry: entries,
  };
}

/** The IPS of a patient from the store, with what was excluded for privacy. */
export async function patientSummary(
  repo: FhirRepository,
  patientId: string,
  opts: { baseUrl: string; now?: number; practiceName?: string },
): Promise<{ bundle: Bundle; chart: PatientChart; excluded: SummaryExclusions }> {
  const now = opts.now ?? Date.now();
  const { chart, excluded } = withoutUnconsented(await readPatientChart(repo, patientId), now);
  const roots = [chart.patient, ...chart.problems, ...chart.allergies, ...chart.medications, ...chart.immunizations, ...chart.results, ...chart.vitals];
  const referenced = await referencedDirectory(repo, roots);
  return { bundle: ipsBundle(chart, { baseUrl: opts.baseUrl, now, practiceName: opts.practiceName, referenced }), chart, excluded };
}

/** Handles `GET|POST Patient/[id]/$summary`; undefined for other paths. */
export function routePatientSummary(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> | undefined {
  const parts = req.path.split('/').filter((p) => p !== '');
  if (parts.length !== 3 || parts[0] !== 'Patient' || parts[2] !== '$summary') return undefined;
  return (async () => {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== 'GET' && method !== 'POST') throw outcomeError('notAllowed', 'Patient/$summary supports GET and POST');
    const { bundle } = await patientSummary(repo, parts[1] as string, { baseUrl: req.baseUrl });
    return { status: 200, body: bundle };
  })();
}
