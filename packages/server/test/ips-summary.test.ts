/**
 * `Patient/[id]/$summary` (IPS document Bundle) and the printable one-page summary PDF:
 * structure checked element by element against the IPS requirements, base R4 validation
 * (medplum), and substance-use / psychotherapy records left out unless consented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResource } from '@medplum/core';
import type { Bundle, Composition, Resource } from '@medplum/fhirtypes';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { sqliteTestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { IPS_SECTIONS } from '../src/fhir/ips-summary.js';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

async function patientId(t: FhirTestApp, family: string): Promise<string> {
  const r = await t.call('GET', `Patient?family=${encodeURIComponent(family)}`);
  const id = (r.body.entry as { resource: { id: string } }[] | undefined)?.[0]?.resource.id;
  assert.ok(id, `patient ${family}`);
  return id;
}

async function summary(t: FhirTestApp, id: string): Promise<Bundle> {
  const r = await t.call('GET', `Patient/${id}/$summary`);
  assert.equal(r.status, 200, r.text);
  return r.body as unknown as Bundle;
}

/** Checks the IPS document rules that matter for a reader; returns the Composition. */
function checkIps(b: Bundle, id: string): Composition {
  assert.equal(b.resourceType, 'Bundle');
  assert.equal(b.type, 'document');
  assert.equal(b.identifier?.system, 'urn:ietf:rfc:3986');
  assert.match(b.identifier?.value ?? '', /^urn:uuid:[0-9a-f-]{36}$/);
  assert.ok(b.timestamp && !Number.isNaN(Date.parse(b.timestamp)));
  const entries = b.entry ?? [];
  assert.ok(entries.every((e) => e.fullUrl && e.resource), 'every entry has a fullUrl and a resource');
  assert.equal(new Set(entries.map((e) => e.fullUrl)).size, entries.length, 'no entry twice');
  const byRef = new Map(entries.map((e) => [`${e.resource?.resourceType}/${e.resource?.id}`, e.resource as Resource]));
  const composition = entries[0]?.resource as Composition;
  assert.equal(composition.resourceType, 'Composition', 'the Composition comes first');
  assert.equal(composition.status, 'final');
  assert.deepEqual(composition.type.coding?.[0], { system: 'http://loinc.org', code: '60591-5', display: 'Patient summary Document' });
  assert.equal(composition.subject?.reference, `Patient/${id}`);
  assert.ok(byRef.has(`Patient/${id}`), 'the Patient is in the bundle');
  assert.ok(composition.title && composition.date);
  assert.ok((composition.author ?? []).length >= 1 && composition.author?.every((a) => byRef.has(a.reference ?? '')), 'authors resolve in the bundle');
  const sections = composition.section ?? [];
  for (const def of IPS_SECTIONS) {
    const s = sections.find((x) => x.code?.coding?.some((c) => c.system === 'http://loinc.org' && c.code === def.code));
    assert.ok(s, `section ${def.code} (${def.key}) present`);
    assert.ok(s.title && s.text?.div.startsWith('<div xmlns="http://www.w3.org/1999/xhtml">'), `section ${def.code} has a title and narrative`);
    assert.ok((s.entry?.length ?? 0) > 0 || s.emptyReason, `section ${def.code} has entries or says why it is empty`);
    assert.ok(!(s.entry?.length && s.emptyReason), 'not both');
    for (const e of s.entry ?? []) {
      const r = byRef.get(e.reference ?? '');
      assert.ok(r, `${e.reference} resolves in the bundle`);
      const allowed: Record<string, string[]> = {
        problems: ['Condition'],
        allergies: ['AllergyIntolerance'],
        medications: ['MedicationRequest', 'MedicationStatement'],
        immunizations: ['Immunization'],
        results: ['Observation'],
        vitals: ['Observation'],
      };
      assert.ok(allowed[def.key]?.includes(r.resourceType), `${r.resourceType} in ${def.key}`);
      if ('subject' in r || 'patient' in r) {
        const subject = (r as { subject?: { reference?: string }; patient?: { reference?: string } }).subject ?? (r as { patient?: { reference?: string } }).patient;
        assert.equal(subject?.reference, `Patient/${id}`, 'only this patient');
      }
    }
  }
  // Base R4: the bundle and every resource in it validate against the StructureDefinitions.
  validateResource(b);
  for (const e of entries) validateResource(e.resource as Resource);
  return composition;
}

function sectionRefs(c: Composition, code: string): string[] {
  return (c.section?.find((s) => s.code?.coding?.[0]?.code === code)?.entry ?? []).map((e) => e.reference ?? '');
}

test('Patient/$summary is an IPS document: sections with LOINC codes, entries that resolve, valid R4', async () => {
  const t = await fhirTestApp(sqliteTestStore);
  try {
    await loadDemo(t.repo, { patients: 4, seed: 1 });
    const id = await patientId(t, 'Muñoz');
    await t.repo.create({ resourceType: 'Immunization', status: 'completed', patient: { reference: `Patient/${id}` }, occurrenceDateTime: '2025-10-01', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '141', display: 'Influenza, seasonal, injectable' }] } });
    const b = await summary(t, id);
    const c = checkIps(b, id);
    const text = JSON.stringify(b);
    for (const s of ['Lithium', 'Penicillin', 'Hypertension', 'Influenza']) assert.match(text, new RegExp(s, 'i'), s);
    assert.ok(sectionRefs(c, '10160-0').length >= 3, 'lithium, ibuprofen, amlodipine');
    assert.equal(sectionRefs(c, '11369-6').length, 1);
    assert.ok(sectionRefs(c, '8716-3').length >= 1, 'vital signs');
    assert.ok(sectionRefs(c, '30954-2').length >= 1, 'results');
    // Latest per code only: no two results with the same code.
    const codes = sectionRefs(c, '30954-2').map((ref) => JSON.stringify((b.entry ?? []).find((e) => `Observation/${e.resource?.id}` === ref)?.resource && ((b.entry ?? []).find((e) => `Observation/${e.resource?.id}` === ref)?.resource as { code: unknown }).code));
    assert.equal(new Set(codes).size, codes.length);
    assert.equal((await t.call('GET', 'Patient/nobody/$summary')).status, 404);
  } finally {
    await t.dispose();
  }
});

test('an empty chart gives required sections with an empty reason; unconsented substance-use and psychotherapy records are left out', async () => {
  const t = await fhirTestApp(sqliteTestStore);
  try {
    const p = await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Private', given: ['Pat'] }], birthDate: '1990-01-01' });
    const empty = checkIps(await summary(t, p.id), p.id);
    for (const code of ['11450-4', '48765-2', '10160-0']) {
      const s = empty.section?.find((x) => x.code?.coding?.[0]?.code === code);
      assert.equal(s?.emptyReason?.coding?.[0]?.code, 'unavailable', code);
    }
    const subject = { reference: `Patient/${p.id}` };
    const sud = { security: [{ system: ACT, code: 'SUD' }] };
    await t.repo.create({ resourceType: 'Condition', meta: sud, subject, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'Opioid use disorder' } });
    await t.repo.create({ resourceType: 'MedicationRequest', meta: { security: [{ system: ACT, code: 'ETH' }] }, status: 'active', intent: 'order', subject, medicationCodeableConcept: { text: 'Buprenorphine 8 mg' } });
    await t.repo.create({ resourceType: 'Observation', meta: { security: [{ system: ACT, code: 'PSYTHPN' }] }, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], subject, code: { text: 'Session mood rating' }, valueString: 'low' });
    await t.repo.create({ resourceType: 'Condition', subject, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'Asthma' } });
    const hidden = await summary(t, p.id);
    checkIps(hidden, p.id);
    const text = JSON.stringify(hidden);
    assert.match(text, /Asthma/);
    assert.doesNotMatch(text, /Opioid|Buprenorphine|Session mood/);

    // With the patient's consent to share Part 2 records, they are included (psychotherapy still not).
    await t.repo.create({
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { reference: `Patient/${p.id}` },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'cfr-part2' }] },
      provision: { type: 'permit', securityLabel: [{ system: ACT, code: 'SUD' }, { system: ACT, code: 'ETH' }] },
    });
    const withConsent = await summary(t, p.id);
    checkIps(withConsent, p.id);
    const shared = JSON.stringify(withConsent);
    assert.match(shared, /Opioid use disorder/);
    assert.match(shared, /Buprenorphine/);
    assert.doesNotMatch(shared, /Session mood/);
  } finally {
    await t.dispose();
  }
});

test('the printable summary is a one-page PDF with a QR code, and 404 for an unknown patient', async () => {
  const t = await fhirTestApp(sqliteTestStore);
  try {
    await loadDemo(t.repo, { patients: 4, seed: 1 });
    const id = await patientId(t, 'Muñoz');
    const r = await t.request('GET', `/api/patients/${id}/summary.pdf`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/pdf');
    assert.equal(r.headers['cache-control'], 'no-store');
    const pdf = r.text;
    assert.ok(pdf.startsWith('%PDF-'));
    assert.equal(pdf.match(/\/Type \/Page\b/g)?.length, 1, 'exactly one page');
    assert.match(pdf, /\/Subtype \/Image/, 'the QR code image');
    assert.equal((await t.request('GET', '/api/patients/nobody/summary.pdf')).status, 404);
  } finally {
    await t.dispose();
  }
});
