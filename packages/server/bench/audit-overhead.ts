/**
 * What authorisation and the audit trail cost per FHIR request, transport-free (no HTTP
 * noise): the router alone, the router behind the access-control wrapper, and the wrapper
 * with the audit log staging one event per request, in alternating rounds over the same
 * encrypted SQLite store of a demo practice. Also `decide()` alone, `record()` alone, and
 * the batched write cost per event. `npx tsx packages/server/bench/audit-overhead.ts [PATIENTS]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decide } from '@chartroom/core';
import type { Principal, UserId } from '@chartroom/core';
import { openStore } from '../src/store/open-store.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { handleFhirRequest } from '../src/fhir/router.js';
import { withAccessControl } from '../src/fhir/access-control.js';
import type { FhirHandler, FhirRequest } from '../src/fhir/types.js';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';

const patients = Number(process.argv[2] ?? 100);
const ROUNDS = 6;
const PER_ROUND = 1500;

function stats(us: number[]): string {
  const s = [...us].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(1)} µs, p99 ${at(0.99).toFixed(1)} µs`;
}

const dir = mkdtempSync(join(tmpdir(), 'chartroom-audit-bench-'));
const store = await openStore({ kind: 'sqlite', file: join(dir, 'chartroom.db'), keyHex: randomBytes(32).toString('hex') });
try {
  await loadDemo(store.repo, { patients });
  const ids = (await store.repo.search((await import('@chartroom/core')).parseSearchRequest('Patient', { _count: '200' }))).matches.map((m) => m.id);
  const audit = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: 'bench', signer: ephemeralSigner() });
  const clinician: Principal = { kind: 'session', userId: 'u1' as UserId, username: 'dr', role: 'clinician', practitionerId: 'x', mfaAt: Date.now(), address: '127.0.0.1' };
  const plain: FhirHandler = handleFhirRequest;
  const guarded = withAccessControl(handleFhirRequest, {});
  const audited = withAccessControl(handleFhirRequest, { audit });
  const base = 'http://localhost/fhir/R4';
  const read = (i: number): FhirRequest => ({ method: 'GET', path: `Patient/${ids[i % ids.length] ?? ''}`, query: {}, baseUrl: base, principal: clinician });
  const search = (i: number): FhirRequest => ({ method: 'GET', path: 'DocumentReference', query: { subject: `Patient/${ids[i % ids.length] ?? ''}` }, baseUrl: base, principal: clinician });
  const variants: [string, FhirHandler][] = [
    ['router alone', plain],
    ['+ authorisation', guarded],
    ['+ authorisation + audit', audited],
  ];
  for (const [label, make] of [
    ['read Patient/{id}', read],
    ['DocumentReference?subject (notes, labels checked)', search],
  ] as const) {
    const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, h] of variants) {
        const out = times.get(name) ?? [];
        for (let i = 0; i < PER_ROUND; i++) {
          const req = make(i + round);
          const t0 = performance.now();
          const res = await h(name === 'router alone' ? { ...req, principal: undefined } : req, store.repo);
          out.push((performance.now() - t0) * 1000);
          if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
        }
        await audit.flush();
      }
    }
    console.log(label);
    const p50 = (n: string): number => {
      const s = [...(times.get(n) ?? [])].sort((a, b) => a - b);
      return s[Math.floor(s.length / 2)] ?? NaN;
    };
    for (const [name] of variants) console.log(`  ${name.padEnd(26)} ${stats(times.get(name) ?? [])}`);
    console.log(`  overhead p50: authorisation ${(p50('+ authorisation') - p50('router alone')).toFixed(1)} µs, audit ${(p50('+ authorisation + audit') - p50('+ authorisation')).toFixed(1)} µs`);
  }
  const d: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const t0 = performance.now();
    decide(clinician, { action: 'read', resourceType: 'Observation' });
    d.push((performance.now() - t0) * 1000);
  }
  console.log(`decide() alone: ${stats(d)}`);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) audit.record({ action: 'read', principal: clinician, patientIds: ['p1'], resources: [`Observation/${i}`] });
  const recordUs = ((performance.now() - t0) * 1000) / n;
  const t1 = performance.now();
  await audit.flush();
  const writeUs = ((performance.now() - t1) * 1000) / n;
  console.log(`audit record() (staging): ${recordUs.toFixed(2)} µs/event; batched write (hash chain + insert, off the request path): ${writeUs.toFixed(1)} µs/event`);
  await audit.close();
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
