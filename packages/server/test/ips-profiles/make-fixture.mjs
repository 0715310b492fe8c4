#!/usr/bin/env node
/**
 * Rebuilds `hl7.fhir.uv.ips-2.0.0.profiles.json.gz`: the IPS StructureDefinitions the
 * `$summary` tests validate against, from the HL7 IPS package on the npm registry
 * (`hl7.fhir.uv.ips@2.0.0`, CC0-1.0). The package itself cannot be an npm dependency: its
 * FHIR package dependencies (hl7.fhir.r4.core 4.0.1, hl7.terminology.r4 6.5.0…) are not on
 * the npm registry, so `npm install` fails.
 *
 * Kept: each profile's snapshot (what validators use). Dropped, to keep the file small:
 * narrative, differential, mappings, element documentation (definition, comment,
 * requirements, alias, examples, binding descriptions) and the constraints inherited from
 * base FHIR (checked by the base R4 validation the tests also run); constraints defined by
 * the IPS guide are kept.
 *
 *   node packages/server/test/ips-profiles/make-fixture.mjs
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const PACKAGE = 'hl7.fhir.uv.ips@2.0.0';
const PROFILES = [
  'Bundle', 'Composition', 'Patient', 'AllergyIntolerance', 'Condition', 'MedicationStatement', 'MedicationRequest', 'Medication',
  'Immunization', 'Observation-results-laboratory-pathology', 'Organization', 'Practitioner', 'PractitionerRole', 'CodeableConcept', 'Coding', 'Device',
];

const tmp = mkdtempSync(join(tmpdir(), 'chartroom-ips-'));
try {
  const tgz = execFileSync('npm', ['pack', PACKAGE, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1);
  execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp]);
  const manifest = JSON.parse(readFileSync(join(tmp, 'package', 'package.json'), 'utf8'));
  const out = PROFILES.map((name) => {
    const sd = JSON.parse(readFileSync(join(tmp, 'package', `StructureDefinition-${name}-uv-ips.json`), 'utf8'));
    for (const k of ['text', 'differential', 'mapping']) delete sd[k];
    for (const e of sd.snapshot.element) {
      for (const k of ['mapping', 'definition', 'comment', 'requirements', 'alias', 'example', 'isModifierReason']) delete e[k];
      if (e.binding) {
        delete e.binding.description;
        delete e.binding.extension;
      }
      const own = (e.constraint ?? []).filter((c) => String(c.source ?? '').startsWith('http://hl7.org/fhir/uv/ips/'));
      if (own.length) e.constraint = own;
      else delete e.constraint;
    }
    return sd;
  });
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    meta: { source: `npm:${manifest.name}@${manifest.version} (${manifest.license})` },
    entry: out.map((resource) => ({ fullUrl: resource.url, resource })),
  };
  const file = new URL('./hl7.fhir.uv.ips-2.0.0.profiles.json.gz', import.meta.url);
  writeFileSync(file, gzipSync(JSON.stringify(bundle), { level: 9 }));
  console.log(`${out.length} profiles from ${manifest.name}@${manifest.version} → ${file.pathname}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
