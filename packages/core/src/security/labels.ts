/**
 * Sensitivity labels (`meta.security`) that drive access and replication scope, and the
 * helpers that read them. Codes are HL7 v3 ActCode / Confidentiality where HL7 has one
 * (https://hl7.org/fhir/R4/security-labels.html); "do not replicate" is Chartroom's own.
 * Isomorphic (no node:*).
 */
import type { Coding, Consent, Resource } from '@medplum/fhirtypes';

/** HL7 v3 ActCode: sensitivity (PSY, PSYTHPN, ETH, SUD…) and privacy-law (42CFRPart2) codes. */
export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** HL7 v3 Confidentiality (N, R, V…). */
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
/** Chartroom's own security tags. */
export const CHARTROOM_SECURITY_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/security';

/** Psychotherapy note (HL7 ActCode PSYTHPN): readable by its author only, unless break-the-glass. */
export const PSYCHOTHERAPY_LABEL = Object.freeze({ system: ACT_CODE_SYSTEM, code: 'PSYTHPN', display: 'psychotherapy note information sensitivity' });
/** Psychiatry information (HL7 ActCode PSY): part of the chart for clinicians and nurses. */
export const PSYCHIATRY_LABEL = Object.freeze({ system: ACT_CODE_SYSTEM, code: 'PSY', display: 'psychiatry disorder information sensitivity' });
/** Substance use disorder information (HL7 ActCode SUD), covered by 42 CFR Part 2. */
export const SUBSTANCE_USE_LABEL = Object.freeze({ system: ACT_CODE_SYSTEM, code: 'SUD', display: 'substance use disorder information sensitivity' });
/** ActCode codes that mark 42 CFR Part 2 information: ETH (substance abuse), ETHUD, SUD and the 42CFRPart2 policy code. */
export const PART2_CODES: readonly string[] = Object.freeze(['ETH', 'ETHUD', 'SUD', '42CFRPart2']);
/** "Do not replicate": the record stays on the node that wrote it; sync must not send it anywhere. */
export const DO_NOT_REPLICATE = Object.freeze({ system: CHARTROOM_SECURITY_SYSTEM, code: 'do-not-replicate', display: 'do not replicate beyond this node' });
/** Confidentiality R (restricted). */
export const RESTRICTED_CONFIDENTIALITY = Object.freeze({ system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'restricted' });

function labels(resource: Resource | undefined): readonly Coding[] {
  return resource?.meta?.security ?? [];
}

/** True when the resource carries the label `system|code` in `meta.security`. */
export function hasLabel(resource: Resource | undefined, label: { system: string; code: string }): boolean {
  return labels(resource).some((c) => c.system === label.system && c.code === label.code);
}

/** True for a psychotherapy note (PSYTHPN). */
export function isPsychotherapyNote(resource: Resource | undefined): boolean {
  return hasLabel(resource, PSYCHOTHERAPY_LABEL);
}

/** True for 42 CFR Part 2 substance-use information (ETH, ETHUD, SUD or 42CFRPart2). */
export function isPart2Record(resource: Resource | undefined): boolean {
  return labels(resource).some((c) => c.system === ACT_CODE_SYSTEM && c.code !== undefined && PART2_CODES.includes(c.code));
}

/** True when sync must not send the resource to any other node or the hub. */
export function isDoNotReplicate(resource: Resource | undefined): boolean {
  return hasLabel(resource, DO_NOT_REPLICATE);
}

/** The references (`Practitioner/1`, …) that authored a resource, by the element each type uses for it. */
export function authorReferences(resource: Resource): string[] {
  const r = resource as unknown as Record<string, unknown>;
  const refs: string[] = [];
  const take = (v: unknown): void => {
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      const ref = (x as { reference?: unknown } | undefined)?.reference;
      if (typeof ref === 'string') refs.push(ref);
      const actor = (x as { actor?: { reference?: unknown } } | undefined)?.actor?.reference;
      if (typeof actor === 'string') refs.push(actor);
    }
  };
  take(r.author); // DocumentReference, Composition, Communication (sender below)
  take(r.sender);
  take(r.performer); // Observation, Procedure
  take(r.recorder); // Condition, AllergyIntolerance
  take(r.asserter);
  take(r.requester); // MedicationRequest, ServiceRequest
  take(r.authenticator);
  return [...new Set(refs)];
}

/**
 * True when an active Consent permits disclosing the patient's 42 CFR Part 2 records at `now`
 * (status active, a permit provision naming a Part 2 label or no label restriction at all,
 * within its period). https://hl7.org/fhir/R4/consent.html
 */
export function hasPart2Consent(consents: readonly Consent[], patientId: string, now: number = Date.now()): boolean {
  return consents.some((c) => {
    if (c.status !== 'active' || c.patient?.reference !== `Patient/${patientId}`) return false;
    const p = c.provision;
    if (!p || p.type !== 'permit') return false;
    const start = p.period?.start ? Date.parse(p.period.start) : -Infinity;
    const end = p.period?.end ? Date.parse(p.period.end) : Infinity;
    if (now < start || now > end) return false;
    const labelled = p.securityLabel ?? [];
    return labelled.length === 0 || labelled.some((l) => l.system === ACT_CODE_SYSTEM && l.code !== undefined && PART2_CODES.includes(l.code));
  });
}
