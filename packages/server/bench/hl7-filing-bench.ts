/**
 * HL7 v2 filing speed: N ORU^R01 messages (two results each, alternating between two
 * patients) filed as one `.hl7` file into a fresh encrypted SQLite store, as
 * `chartroom import` files them; `--sequential` files them one after the other instead
 * (each waits for its own commit: how files were imported before).
 *   npx tsx packages/server/bench/hl7-filing-bench.ts [messages] [--sequential]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Patient } from '@medplum/fhirtypes';
import { openStore } from '../src/store/open-store.js';
import { fileHl7Text, fileOruMessage } from '../src/clinical/labs/oru-filing.js';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 500);
const sequential = process.argv.includes('--sequential');
const MRN = 'https://riverside-practice.example/fhir/mrn';
const patients: [string, string, string][] = [
  ['RFP-000001', 'Muñoz', 'José'],
  ['RFP-000002', 'Brontë', 'Zoë'],
];

function message(i: number): string {
  const [mrn, family, given] = patients[i % patients.length] as [string, string, string];
  return [
    `MSH|^~\\&|LABSYS|RIVERSIDE LAB|CHARTROOM|RFP|20260110120000||ORU^R01|M${i}|P|2.5.1`,
    `PID|1||${mrn}^^^RFP^MR||${family}^${given}||19680314|M`,
    `ORC|RE|ORD${i}|FIL${i}`,
    `OBR|1|ORD${i}|FIL${i}|14334-7^Lithium level^LN|||20260110083000|||||||||||||||20260110110000|||F`,
    `OBX|1|NM|14334-7^Lithium [Moles/volume] in Serum or Plasma^LN||${(0.5 + (i % 10) / 10).toFixed(1)}|mmol/L|0.6-1.2||||F|||20260110083000`,
    `OBX|2|NM|2160-0^Creatinine [Mass/volume] in Serum or Plasma^LN||${(0.8 + (i % 5) / 10).toFixed(1)}|mg/dL|||||F|||20260110083000`,
  ].join('\r');
}

const dir = mkdtempSync(join(tmpdir(), 'chartroom-hl7-bench-'));
const store = await openStore({ kind: 'sqlite', file: join(dir, 'chartroom.db'), keyHex: randomBytes(32).toString('hex') });
try {
  await store.repo.importMany(patients.map(([mrn, family, given], i): Patient => ({ resourceType: 'Patient', id: `p${i}`, identifier: [{ system: MRN, value: mrn }], name: [{ family, given: [given] }] })));
  const messages = Array.from({ length: n }, (_, i) => message(i));
  const t0 = performance.now();
  let filed = 0;
  if (sequential) {
    for (const m of messages) if ((await fileOruMessage(store.repo, m)).status === 'filed') filed++;
  } else {
    filed = (await fileHl7Text(store.repo, messages.join('\r\n'))).messages.filter((m) => m.status === 'filed').length;
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${filed}/${n} messages filed${sequential ? ' one after the other' : ' as one file'} in ${s.toFixed(2)} s: ${(n / s).toFixed(1)} messages/s`);
  if (filed !== n) process.exitCode = 1;
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
