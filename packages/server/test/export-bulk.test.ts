/**
 * FHIR Bulk Data `$export` over HTTP (https://hl7.org/fhir/uv/bulkdata/export.html):
 * kick-off, status polling, NDJSON download, `_type`, `_since`, Patient and Group level,
 * cancel/delete, expiry, and precise errors for bad requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';
import { sqliteTestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { scanResources } from '../src/continuity/resource-scan.js';
import { ACT_CODE_SYSTEM, isPsychotherapyNote } from '@chartroom/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';

const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

function pollPath(reply: FhirReply): string {
  assert.equal(reply.status, 202, reply.text);
  const loc = String(reply.headers['content-location']);
  const at = loc.indexOf('/fhir/R4/');
  assert.ok(at >= 0, loc);
  return loc.slice(at + '/fhir/R4/'.length);
}

async function finish(t: FhirTestApp, path: string, as?: string): Promise<Manifest> {
  for (;;) {
    const r = await t.call('GET', path, as ? { as } : {});
    if (r.status === 200) return r.body as unknown as Manifest;
    assert.equal(r.status, 202, r.text);
    assert.match(String(r.headers['x-progress']), /resources exported/);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/**
 * GETs an absolute URL of the app without parsing the body (the helpers parse any JSON-ish
 * content type, and NDJSON is not one JSON document), with the helper's token when it has one.
 */
async function rawGet(t: FhirTestApp, url: string, as?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const token = as ?? (t as unknown as { token?: string }).token;
  const res = await t.app.inject({ method: 'GET', url: new URL(url).pathname, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.statusCode, headers: res.headers, text: res.body };
}

/** The diagnostics of the manifest's error file (OperationOutcome NDJSON), each checked to be a `suppressed` information. */
async function outcomes(t: FhirTestApp, m: Manifest, as?: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of m.error as { type: string; url: string; count: number }[]) {
    assert.equal(e.type, 'OperationOutcome');
    const res = await t.app.inject({ method: 'GET', url: new URL(e.url).pathname, headers: { authorization: `Bearer ${as ?? t.token}` } });
    assert.equal(res.statusCode, 200, res.body);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as OperationOutcome);
    assert.equal(lines.length, e.count);
    for (const o of lines) {
      assert.equal(o.resourceType, 'OperationOutcome');
      assert.deepEqual([o.issue[0]?.severity, o.issue[0]?.code], ['information', 'suppressed']);
      out.push(o.issue[0]?.diagnostics ?? '');
    }
  }
  return out.sort();
}

async function download(t: FhirTestApp, m: Manifest, as?: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const o of m.output) {
    const r = await rawGet(t, o.url, as);
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /application\/fhir\+ndjson/);
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, o.count);
    assert.ok(lines.every((l) => l.resourceType === o.type));
    out.push(...lines);
  }
  return out;
}

test('system $export: kick-off, polling, every current resource in NDJSON files, encrypted at rest, deleted on DELETE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-bulk-'));
  const t = await fhirTestApp(sqliteTestStore, { bulkExport: { dir } });
  try {
    await loadDemo(t.repo, { patients: 3, seed: 2 });
    const p = await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Exportable' }] });
    await t.repo.delete('Patient', p.id);
    const counts = await t.repo.countByType();

    const kick = await t.call('GET', '$export', { headers: ASYNC });
    const poll = pollPath(kick);
    const m = await finish(t, poll);
    assert.match(m.request, /\/fhir\/R4\/\$export$/);
    assert.ok(!Number.isNaN(Date.parse(m.transactionTime)));
    assert.equal(m.requiresAccessToken, true);
    // A backend-service token is not a psychotherapy note's author: those notes stay behind, and the error file says how many.
    let therapy = 0;
    for await (const r of scanResources(t.repo.dialect, { types: ['DocumentReference'] })) if (isPsychotherapyNote(JSON.parse(r.json) as Resource)) therapy++;
    assert.ok(therapy > 0, 'the demo has psychotherapy notes');
    assert.deepEqual(await outcomes(t, m), [`${therapy} DocumentReference resource${therapy === 1 ? '' : 's'} withheld: psychotherapy notes are readable by their author only`]);
    const resources = await download(t, m);
    const perType: Record<string, number> = {};
    for (const r of resources) perType[r.resourceType as string] = (perType[r.resourceType as string] ?? 0) + 1;
    assert.deepEqual(perType, { ...counts, DocumentReference: (counts.DocumentReference ?? 0) - therapy }, 'every current resource once (but the withheld notes), deleted ones not at all');
    assert.ok(!resources.some((r) => r.id === p.id));
    // Each line is the stored resource, as a read returns it.
    const one = resources.find((r) => r.resourceType === 'Patient') as { id: string };
    assert.deepEqual(one, JSON.parse((await t.repo.read('Patient', one.id)).json));

    // The files on disk hold no readable patient data.
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    assert.ok(files.length >= m.output.length);
    for (const f of files) assert.doesNotMatch(readFileSync(join(f.parentPath, f.name)).toString('latin1'), /resourceType|Patient/);

    const del = await t.call('DELETE', poll);
    assert.equal(del.status, 202);
    assert.equal((await t.call('GET', poll)).status, 404);
    assert.equal((await rawGet(t, m.output[0]?.url ?? '')).status, 404);
    assert.equal(readdirSync(dir).length, 0, 'the job folder is gone');
  } finally {
    await t.dispose();
    assert.equal(existsSync(dir), false, 'closing the app removes the export folder');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('_type, _since, Patient/$export and Group/[id]/$export select what they should', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-bulk-'));
  const t = await fhirTestApp(sqliteTestStore, { bulkExport: { dir } });
  try {
    await loadDemo(t.repo, { patients: 3, seed: 4 });
    const typed = await download(t, await finish(t, pollPath(await t.call('GET', '$export?_type=Patient,AllergyIntolerance', { headers: ASYNC }))));
    assert.deepEqual([...new Set(typed.map((r) => r.resourceType))].sort(), ['AllergyIntolerance', 'Patient'].filter((x) => typed.some((r) => r.resourceType === x)));
    assert.equal(typed.filter((r) => r.resourceType === 'Patient').length, (await t.repo.countByType()).Patient);

    // Patient level: patients and what points at them; no Practitioner, Organization, Schedule or Slot.
    const patientLevel = await download(t, await finish(t, pollPath(await t.call('GET', 'Patient/$export', { headers: ASYNC }))));
    const types = new Set(patientLevel.map((r) => r.resourceType));
    assert.ok(types.has('Patient') && types.has('Observation'));
    for (const x of ['Practitioner', 'Organization', 'Schedule', 'Slot']) assert.ok(!types.has(x), x);

    // Group level: only the member's compartment.
    const patients = (await download(t, await finish(t, pollPath(await t.call('GET', '$export?_type=Patient', { headers: ASYNC }))))) as { id: string }[];
    const member = patients[0]?.id ?? '';
    const other = patients[1]?.id ?? '';
    await t.repo.update({ resourceType: 'Group', id: 'g1', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${member}` } }] });
    const grouped = await download(t, await finish(t, pollPath(await t.call('POST', 'Group/g1/$export', { headers: ASYNC }))));
    assert.ok(grouped.some((r) => r.resourceType === 'Patient' && r.id === member));
    assert.ok(!grouped.some((r) => r.resourceType === 'Patient' && r.id === other));
    assert.ok(grouped.filter((r) => r.resourceType !== 'Patient').length > 0);
    assert.ok(!JSON.stringify(grouped).includes(`Patient/${other}"`), 'nothing of another patient');
    assert.equal((await t.call('GET', 'Group/nope/$export', { headers: ASYNC })).status, 404);

    // _since: only what changed at or after the instant.
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await t.repo.update({ resourceType: 'Patient', id: member, name: [{ family: 'Changed' }] });
    const recent = await download(t, await finish(t, pollPath(await t.call('GET', `$export?_since=${encodeURIComponent(since)}`, { headers: ASYNC }))));
    assert.deepEqual(recent.map((r) => `${String(r.resourceType)}/${String(r.id)}`), [`Patient/${member}`]);
  } finally {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad kick-offs are precise 4xx errors that start nothing; jobs expire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-bulk-'));
  let now = Date.parse('2026-03-01T10:00:00Z');
  const t = await fhirTestApp(sqliteTestStore, { bulkExport: { dir, expiryMs: 60_000, clock: { now: () => now } } });
  try {
    await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Solo' }] });
    const cases: [string, RegExp][] = [
      ['$export?_type=Nonsense', /_type: unknown resource type "Nonsense"/],
      ['$export?_since=yesterday', /_since "yesterday" is not a FHIR instant/],
      ['$export?_outputFormat=text/csv', /_outputFormat "text\/csv" is not supported/],
      ['$export?_typeFilter=Patient%3Factive%3Dtrue', /"_typeFilter" is not supported/],
    ];
    for (const [path, message] of cases) {
      const r = await t.call('GET', path, { headers: ASYNC });
      assert.equal(r.status, 400, path);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.match(String((r.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics), message);
    }
    const noPrefer = await t.call('GET', '$export');
    assert.equal(noPrefer.status, 400);
    assert.match(JSON.stringify(noPrefer.body), /Prefer: respond-async/);
    assert.equal(readdirSync(dir).length, 0, 'no job was started');
    assert.equal((await t.call('GET', '$export-poll-status?_job=unknown')).status, 404);

    const poll = pollPath(await t.call('GET', '$export', { headers: ASYNC }));
    const m = await finish(t, poll);
    assert.equal(m.output.length, 1);
    now += 59_000;
    assert.equal((await t.call('GET', poll)).status, 200, 'still there before expiry');
    now += 2_000;
    assert.equal((await t.call('GET', poll)).status, 404, 'gone after expiry');
    assert.equal(readdirSync(dir).length, 0, 'its files were deleted');
  } finally {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a configured export folder $export answers 501', async () => {
  const t = await fhirTestApp();
  try {
    const r = await t.call('GET', '$export', { headers: ASYNC });
    assert.equal(r.status, 501);
    assert.match(JSON.stringify(r.body), /Bulk export is not enabled/);
  } finally {
    await t.dispose();
  }
});

test('42 CFR Part 2: labelled substance-use records are exported only for patients whose active Consent permits it; roles and job owners are enforced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-bulk-'));
  const t = await fhirTestApp(sqliteTestStore, { bulkExport: { dir } });
  try {
    const part2 = [{ system: ACT_CODE_SYSTEM, code: '42CFRPart2' }];
    const sud = (patient: string, id: string): Resource =>
      ({ resourceType: 'Condition', id, meta: { security: part2 }, subject: { reference: `Patient/${patient}` }, code: { text: 'Opioid use disorder' } }) as Resource;
    const consent = (patient: string, id: string, extra: Record<string, unknown>): Resource =>
      ({
        resourceType: 'Consent',
        id,
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: `Patient/${patient}` },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'cfr-part2' }] },
        provision: { type: 'permit', securityLabel: part2 },
        ...extra,
      }) as Resource;
    for (const p of ['none', 'consented', 'expired', 'revoked']) {
      await t.repo.update({ resourceType: 'Patient', id: p, name: [{ family: p }] });
      await t.repo.update(sud(p, `sud-${p}`));
      await t.repo.update({ resourceType: 'Condition', id: `htn-${p}`, subject: { reference: `Patient/${p}` }, code: { text: 'Hypertension' } });
    }
    await t.repo.update(consent('consented', 'c1', {}));
    await t.repo.update(consent('expired', 'c2', { provision: { type: 'permit', securityLabel: part2, period: { end: '2020-01-01T00:00:00Z' } } }));
    await t.repo.update(consent('revoked', 'c3', { status: 'inactive' }));
    // A deny provision is no permission.
    await t.repo.update(consent('none', 'c4', { provision: { type: 'deny', securityLabel: part2 } }));

    const clinician = await t.actAs('clinician');
    const expectConditions = ['htn-consented', 'htn-expired', 'htn-none', 'htn-revoked', 'sud-consented'];
    for (const path of ['$export?_type=Condition,Patient', 'Patient/$export?_type=Condition']) {
      const m = await finish(t, pollPath(await clinician.call('GET', path, { headers: ASYNC })), clinician.token);
      const got = await download(t, m, clinician.token);
      assert.deepEqual(got.filter((r) => r.resourceType === 'Condition').map((r) => r.id).sort(), expectConditions, path);
      assert.deepEqual(await outcomes(t, m, clinician.token), ["3 Condition resources withheld: 42 CFR Part 2 substance-use information needs the patient's consent to be exported or summarised"], path);
    }
    // The node's own backend token is held to the same rule.
    const sys = await finish(t, pollPath(await t.call('GET', '$export?_type=Condition', { headers: ASYNC })));
    assert.deepEqual((await download(t, sys)).map((r) => r.id).sort(), expectConditions);

    // Another caller cannot poll, download or delete the clinician's job.
    const poll = pollPath(await clinician.call('GET', '$export?_type=Condition', { headers: ASYNC }));
    const m = await finish(t, poll, clinician.token);
    const other = await t.actAs('clinician');
    assert.equal((await other.call('GET', poll)).status, 404);
    assert.equal((await other.call('DELETE', poll)).status, 404);
    const file = await t.app.inject({ method: 'GET', url: new URL(m.output[0]?.url ?? '').pathname, headers: { authorization: `Bearer ${other.token}` } });
    assert.equal(file.statusCode, 404);
    assert.equal((await clinician.call('GET', poll)).status, 200, 'still there for its owner');

    // Roles: the front desk may not export clinical data — asked for explicitly it is a 403, and nothing starts.
    const desk = await t.actAs('front-desk');
    const before = readdirSync(dir).length;
    const refused = await desk.call('GET', '$export?_type=Condition', { headers: ASYNC });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.text, /role front-desk may not export clinical \(Condition\)/);
    assert.equal((await desk.call('GET', 'Patient/$export', { headers: ASYNC })).status, 403, 'patient compartments need export on Patient');
    assert.equal((await (await t.actAs('billing')).call('GET', '$export?_type=Patient', { headers: ASYNC })).status, 403);
    assert.equal(readdirSync(dir).length, before, 'no job was started');
    // Unasked, the types it may not export are left out and named in the error file.
    const deskAll = await finish(t, pollPath(await desk.call('GET', '$export', { headers: ASYNC })), desk.token);
    assert.deepEqual(await download(t, deskAll, desk.token), []);
    const notes = await outcomes(t, deskAll, desk.token);
    assert.ok(notes.includes('8 Condition resources not exported: role front-desk may not export clinical (Condition)'), notes.join('\n'));
    assert.ok(notes.includes('4 Patient resources not exported: role front-desk may not export demographics (Patient)'), notes.join('\n'));
  } finally {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
