/**
 * The demo practice: deterministic from seed and today, the default practice's shape
 * (clinicians and roles, today's appointments, the interaction patients, accented names
 * found by accent-free search, notes with their security labels, lab trends with flags),
 * every resource valid and every reference resolved.
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { isNoteDocument } from '../src/clinical/notes/note-model.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseSearchRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { FhirRepository } from '../src/store/fhir-repository.js';
import { demoBatches, loadDemo } from '../src/demo/load-demo.js';
import { localDate } from '../src/demo/demo-time.js';
import { DRUGS, RXNORM } from '../src/demo/medication-catalog.js';
import { danglingReferences } from '../src/import/reference-check.js';
import { sqliteTestStore } from './helpers/stores.js';
import { allResources } from './helpers/all-resources.js';
import type { TestStore } from './helpers/stores.js';

type Json = Record<string, unknown> & { resourceType: string; id: string };

/** A Wednesday afternoon, local time: some of today's appointments are over, some to come. */
const TODAY = new Date(2026, 2, 11, 13, 40);

function digest(options: Parameters<typeof demoBatches>[0]): { hash: string; count: number } {
  const h = createHash('sha256');
  let count = 0;
  for (const b of demoBatches(options)) {
    for (const r of b.resources) {
      h.update(JSON.stringify(r));
      count++;
    }
  }
  return { hash: h.digest('hex'), count };
}

async function search(repo: FhirRepository, type: string, query: QueryParams): Promise<Json[]> {
  const found = await repo.search(parseSearchRequest(type, { _count: '1000', ...query }));
  return found.matches.map((m) => JSON.parse(m.json) as Json);
}


const ref = (r: { reference?: string } | undefined): string => r?.reference ?? '';

test('the same seed and today give the same resources, ids included; another seed or day does not', () => {
  const a = digest({ patients: 60, seed: 7, today: TODAY });
  const b = digest({ patients: 60, seed: 7, today: new Date(TODAY.getTime()) });
  assert.equal(a.hash, b.hash);
  assert.ok(a.count > 60 * 40, `about 40+ resources per patient (got ${a.count} for 60)`);
  assert.notEqual(digest({ patients: 60, seed: 8, today: TODAY }).hash, a.hash);
  assert.notEqual(digest({ patients: 60, seed: 7, today: new Date(2026, 2, 12, 13, 40) }).hash, a.hash);
  // A patient does not depend on how many come after it.
  const first = [...demoBatches({ patients: 3, seed: 7, today: TODAY, batchSize: 1_000_000 })][0]?.resources.filter((r) => r.resourceType === 'Patient');
  const more = [...demoBatches({ patients: 30, seed: 7, today: TODAY, batchSize: 1_000_000 })][0]?.resources.filter((r) => r.resourceType === 'Patient');
  assert.deepEqual(first, more?.slice(0, 3));
});

test('two loads with the same seed and today store the same resources', async () => {
  const stores = [await sqliteTestStore(), await sqliteTestStore()];
  try {
    const counts = [];
    for (const s of stores) counts.push(await loadDemo(s.repo, { patients: 15, seed: 'same', today: TODAY }));
    assert.deepEqual(counts[0], counts[1]);
    const [x, y] = await Promise.all(
      stores.map(async (s) =>
        (await allResources(s.repo))
          .map((r) => JSON.stringify({ ...r, meta: { ...(r.meta as object), lastUpdated: undefined } }))
          .sort(),
      ),
    );
    assert.equal(x?.length, Object.values(counts[0] ?? {}).reduce((a, b) => a + b, 0));
    assert.deepEqual(x, y);
  } finally {
    for (const s of stores) await s.dispose();
  }
});

test('the default demo practice', { timeout: 600_000 }, async (t) => {
  const store: TestStore = await sqliteTestStore();
  t.after(() => store.dispose());
  const progress: number[] = [];
  const counts = await loadDemo(store.repo, { seed: 1, today: TODAY, onProgress: (p) => progress.push(p.patientsDone) });
  const all = await allResources(store.repo);

  await t.test('has 200 patients, ~50 resources each, and reports progress', () => {
    assert.equal(counts.Patient, 200);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    assert.ok(total >= 200 * 40, `${total} resources`);
    assert.equal(all.length, total);
    assert.equal(progress.at(-1), 200);
    for (const type of ['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot', 'Appointment', 'Coverage', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'Encounter', 'Observation', 'DocumentReference']) {
      assert.ok((counts[type] ?? 0) > 0, `${type} present`);
    }
  });

  await t.test('every reference resolves', () => {
    assert.deepEqual(danglingReferences(all), []);
  });

  await t.test('clinicians: psychiatrist, family physician, nurse practitioner, psychotherapist, each with a schedule; front desk staff', () => {
    const roles = all.filter((r) => r.resourceType === 'PractitionerRole') as unknown as { practitioner: { reference: string }; code: { coding: { code: string }[] }[] }[];
    const jobs = roles.map((r) => r.code[0]?.coding.at(-1)?.code).sort();
    assert.deepEqual(jobs, ['family-physician', 'front-desk', 'front-desk', 'nurse-practitioner', 'psychiatrist', 'psychotherapist']);
    const schedules = all.filter((r) => r.resourceType === 'Schedule') as unknown as { actor: { reference: string }[] }[];
    const clinicianRefs = roles.filter((r) => r.code[0]?.coding.at(-1)?.code !== 'front-desk').map((r) => r.practitioner.reference).sort();
    assert.deepEqual(schedules.map((s) => s.actor[0]?.reference).sort(), clinicianRefs);
    const payors = all.filter((r) => r.resourceType === 'Organization' && JSON.stringify(r.type).includes('"pay"'));
    assert.ok(payors.length >= 3);
    const coverage = all.find((r) => r.resourceType === 'Coverage') as unknown as { payor: { reference: string }[]; subscriberId: string; costToBeneficiary: { valueMoney: { value: number } }[] };
    assert.ok(payors.some((p) => `Organization/${p.id}` === coverage.payor[0]?.reference));
    assert.match(coverage.subscriberId, /\d{9}$/);
    assert.equal(typeof coverage.costToBeneficiary[0]?.valueMoney.value, 'number');
  });

  await t.test("today's appointments: over ones fulfilled or no-show, the current one in the room, the next ones checked in or arrived, a cancellation, later ones booked", () => {
    const day = localDate(TODAY);
    const todays = all.filter((r) => r.resourceType === 'Appointment' && String(r.start).startsWith(day)) as unknown as {
      status: string;
      start: string;
      end: string;
      slot: { reference: string }[];
      extension?: { url: string; valueCode?: string }[];
      appointmentType?: { coding?: { code?: string }[] };
    }[];
    assert.ok(todays.length >= 20, `${todays.length} appointments today`);
    const slots = new Map(all.filter((r) => r.resourceType === 'Slot').map((s) => [`Slot/${s.id}`, s.status]));
    const inRoom = (a: (typeof todays)[number]): boolean => a.status === 'checked-in' && !!a.extension?.some((e) => e.url.endsWith('/visit-stage') && e.valueCode === 'in-room');
    for (const a of todays) {
      const start = Date.parse(a.start);
      const end = Date.parse(a.end);
      const now = TODAY.getTime();
      if (a.status === 'cancelled') {
        assert.ok(start > now, 'only coming appointments are cancelled');
        assert.equal(slots.get(a.slot[0]?.reference ?? ''), 'free', 'a cancellation frees its slot');
        continue;
      }
      assert.equal(slots.get(a.slot[0]?.reference ?? ''), 'busy');
      if (end <= now) assert.ok(['fulfilled', 'noshow'].includes(a.status), a.status);
      else if (start <= now) assert.ok(inRoom(a), `the visit in progress is in the room: ${a.status}`);
      else if (a.status === 'checked-in') assert.ok(start - now <= 30 * 60_000, 'checked in shortly before the visit');
      else if (a.status === 'arrived') assert.ok(start - now <= 60 * 60_000, 'arrived shortly before the visit');
      else assert.equal(a.status, 'booked');
    }
    for (const s of ['fulfilled', 'booked', 'cancelled', 'checked-in']) assert.ok(todays.some((a) => a.status === s), `some ${s}`);
    assert.ok(todays.some(inRoom), 'someone in the room');
    assert.ok(todays.some((a) => ['new-patient', 'psychiatric-evaluation', 'psychotherapy-intake'].includes(a.appointmentType?.coding?.[0]?.code ?? '')), 'a new-patient visit');
    const later = all.filter((r) => r.resourceType === 'Appointment' && !String(r.start).startsWith(day));
    assert.ok(later.length > 0 && later.every((a) => a.status === 'booked'), 'the coming week is booked too');
  });

  const patientsOn = async (drugs: (keyof typeof DRUGS)[]): Promise<Set<string>> => {
    const code = drugs.map((d) => `${RXNORM}|${DRUGS[d].rxcui}`).join(',');
    const found = await search(store.repo, 'MedicationRequest', { code, status: 'active' });
    return new Set(found.map((m) => ref(m.subject as { reference: string })));
  };

  await t.test('interaction patients: lithium + NSAID, SSRI + tramadol, warfarin + NSAID', async () => {
    const both = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => b.has(x));
    const lithium = await patientsOn(['lithium']);
    const nsaid = await patientsOn(['ibuprofen', 'naproxen', 'meloxicam']);
    const ssri = await patientsOn(['sertraline', 'escitalopram', 'fluoxetine']);
    const tramadol = await patientsOn(['tramadol']);
    const warfarin = await patientsOn(['warfarin']);
    const lithiumNsaid = both(lithium, nsaid);
    assert.ok(lithiumNsaid.length >= 1);
    assert.ok(both(ssri, tramadol).length >= 1);
    assert.ok(both(warfarin, nsaid).length >= 1);
    const munoz = (await search(store.repo, 'Patient', { name: 'munoz', given: 'jose' }))[0];
    assert.ok(munoz && lithiumNsaid.includes(`Patient/${munoz.id}`), 'José Muñoz takes lithium and ibuprofen');
    // His lithium levels: in range for years, high since the NSAID.
    const levels = (await search(store.repo, 'Observation', { subject: `Patient/${munoz.id}`, code: 'http://loinc.org|14334-7', _sort: 'date' })) as unknown as {
      valueQuantity: { value: number; code: string };
      interpretation: { coding: { code: string }[] }[];
      referenceRange: { low: { value: number }; high: { value: number } }[];
    }[];
    assert.ok(levels.length >= 3, `${levels.length} lithium levels`);
    const last = levels.at(-1);
    assert.equal(last?.interpretation[0]?.coding[0]?.code, 'H');
    assert.deepEqual([last?.referenceRange[0]?.low.value, last?.referenceRange[0]?.high.value], [0.8, 1.2]);
    assert.equal(last?.valueQuantity.code, 'mmol/L');
    assert.ok(levels.slice(0, -1).some((o) => o.interpretation[0]?.coding[0]?.code === 'N'));
  });

  await t.test('accented names are found by accent-free search', async () => {
    for (const [query, family] of [
      ['munoz', 'Muñoz'],
      ['MUÑOZ', 'Muñoz'],
      ['bronte', 'Brontë'],
      ['nguyen', 'Nguyễn'],
      ['aberg', 'Åberg'],
      ["o'connor", "O'Connor"],
      ['siobhan', "O'Connor"],
    ] as const) {
      const found = await search(store.repo, 'Patient', { name: query });
      assert.ok(
        found.some((p) => (p.name as { family: string }[])[0]?.family === family),
        `Patient?name=${query} finds ${family}`,
      );
    }
  });

  await t.test('patients are 2 to 95 years old, of every gender, with MRNs, phones, addresses and insurance', () => {
    const patients = all.filter((r) => r.resourceType === 'Patient') as unknown as { birthDate: string; gender: string; identifier: { value: string }[]; telecom: unknown[]; address: unknown[] }[];
    const ages = patients.map((p) => Math.floor((TODAY.getTime() - Date.parse(p.birthDate)) / (365.25 * 86_400_000)));
    assert.equal(Math.min(...ages), 2);
    assert.equal(Math.max(...ages), 95);
    assert.deepEqual(new Set(patients.map((p) => p.gender)).has('female') && new Set(patients.map((p) => p.gender)).has('male'), true);
    assert.equal(new Set(patients.map((p) => p.identifier[0]?.value)).size, 200);
    assert.ok(patients.every((p) => p.telecom.length > 0 && p.address.length > 0));
    assert.ok((counts.Coverage ?? 0) >= 180);
  });

  await t.test("notes: signed ones final, today's drafts preliminary; authored, text as base64; psychotherapy notes labelled PSYTHPN", () => {
    // Clinical notes only: letters and uploaded documents (a document category) are checked in labs-demo.
    const notes = all.filter((r) => r.resourceType === 'DocumentReference' && isNoteDocument(r as unknown as DocumentReference)) as unknown as {
      docStatus: string;
      author: { reference: string }[];
      date: string;
      meta: { security?: { code: string }[] };
      content: { attachment: { data: string; contentType: string } }[];
    }[];
    assert.ok(notes.length >= 5);
    const day = localDate(TODAY);
    for (const n of notes) {
      assert.match(n.author[0]?.reference ?? '', /^Practitioner\//);
      const text = Buffer.from(n.content[0]?.attachment.data ?? '', 'base64').toString('utf8');
      if (n.docStatus === 'preliminary') {
        assert.ok(n.date.startsWith(day), 'drafts are today\'s notes still to finish');
        assert.doesNotMatch(text, /Electronically signed by/);
      } else {
        assert.equal(n.docStatus, 'final');
        assert.match(text, /Electronically signed by/);
      }
    }
    assert.ok(notes.some((n) => n.docStatus === 'preliminary'), 'some drafts');
    assert.ok(notes.some((n) => n.docStatus === 'final' && n.date.startsWith(day)), 'some of today\'s notes already signed');
    const labels = notes.map((n) => (n.meta.security ?? []).map((s) => s.code).join(','));
    assert.ok(labels.includes('PSYTHPN,R'));
    assert.ok(labels.includes('PSY,R'));
  });

  await t.test('labs carry reference ranges and H/L flags; vital signs are LOINC-coded', () => {
    const obs = all.filter((r) => r.resourceType === 'Observation') as unknown as { code: { coding: { system: string; code: string }[] }; interpretation?: { coding: { code: string }[] }[] }[];
    const flags = new Set(obs.flatMap((o) => o.interpretation?.map((i) => i.coding[0]?.code) ?? []));
    for (const f of ['H', 'L', 'N']) assert.ok(flags.has(f), `some ${f}`);
    const codes = new Set(obs.map((o) => o.code.coding[0]?.code));
    for (const c of ['85354-9', '8867-4', '29463-7', '39156-5', '4548-4', '2093-3', '3016-3', '14334-7']) assert.ok(codes.has(c), `LOINC ${c}`);
    assert.ok(obs.every((o) => o.code.coding[0]?.system === 'http://loinc.org'));
  });
});
