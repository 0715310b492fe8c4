/**
 * The authorisation policy, cell by cell: every role × action × resource type the product
 * uses is checked against the expectations written here (an independent statement of who
 * may do what); a cell missing from the policy table fails. Then scopes, caller kinds,
 * compartment and sensitivity labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import {
  ACTIONS,
  DEFAULT_RESOURCE_CLASS,
  DO_NOT_REPLICATE,
  POLICY_TABLE,
  PSYCHOTHERAPY_LABEL,
  RESOURCE_CLASSES,
  RESOURCE_TYPE_CLASS,
  ROLES,
  SUBSTANCE_USE_LABEL,
  canReadResource,
  decide,
  hasPart2Consent,
  resourceClassOf,
  scopeAllows,
} from '../src/index.js';
import type { Action, BreakGlassGrant, Principal, ResourceClass, Role, UserId } from '../src/index.js';

/**
 * Expected allowances, written per role as `class: actions` (r read, s search, c create,
 * u update, d delete, g sign, x export/print, a admin). Anything not listed is denied.
 */
const EXPECTED: Record<Role, Partial<Record<ResourceClass, string>>> = {
  admin: { demographics: 'rscu', directory: 'rscudxa', schedule: 'rscud', encounter: 'rs', billing: 'rs', consent: 'rs', provenance: 'rs', audit: 'rsxa', knowledge: 'rscudxa', security: 'rscuda', sync: 'rsua' },
  clinician: { demographics: 'rscux', directory: 'rs', schedule: 'rscux', encounter: 'rscux', clinical: 'rscudx', orders: 'rscudgx', notes: 'rscudgx', billing: 'rs', consent: 'rscux', provenance: 'rsc', knowledge: 'rs', sync: 'rsu' },
  nurse: { demographics: 'rscu', directory: 'rs', schedule: 'rscux', encounter: 'rscu', clinical: 'rscu', orders: 'rscu', notes: 'rscug', consent: 'rs', provenance: 'rs', knowledge: 'rs', sync: 'rs' },
  'front-desk': { demographics: 'rscu', directory: 'rs', schedule: 'rscudx', encounter: 'rscu', billing: 'rscu', consent: 'rscu', knowledge: 'rs' },
  billing: { demographics: 'rs', directory: 'rs', schedule: 'rs', encounter: 'rs', billing: 'rscudx', consent: 'rs', knowledge: 'rs' },
};
const LETTER: Record<Action, string> = { read: 'r', search: 's', create: 'c', update: 'u', delete: 'd', sign: 'g', export: 'x', admin: 'a' };

/** The R4 resource types the product writes or serves on purpose, each of which must have an explicit class. */
const PRODUCT_TYPES = [
  'Patient', 'RelatedPerson', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Appointment', 'Schedule', 'Slot',
  'Encounter', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement', 'Observation', 'DiagnosticReport',
  'DocumentReference', 'Binary', 'Communication', 'Immunization', 'Consent', 'Provenance', 'AuditEvent', 'Coverage', 'Claim',
  'ServiceRequest', 'Procedure', 'CarePlan', 'Composition', 'Medication', 'Questionnaire', 'QuestionnaireResponse', 'Task', 'Flag',
];

const user = (role: Role, extra: Partial<Principal> = {}): Principal => ({ kind: 'session', userId: `u-${role}` as UserId, username: role, role, ...extra });

test('every role × class × action cell is written in the policy table', () => {
  for (const role of ROLES) {
    assert.ok(POLICY_TABLE[role], `role ${role} has a row`);
    for (const cls of RESOURCE_CLASSES) {
      const row = POLICY_TABLE[role][cls];
      assert.ok(row, `${role} × ${cls} is in the table`);
      for (const action of ACTIONS) assert.equal(typeof row[action], 'boolean', `${role} × ${cls} × ${action} is decided`);
      assert.deepEqual(Object.keys(row).sort(), [...ACTIONS].sort(), `${role} × ${cls} has exactly the known actions`);
    }
  }
});

test('every product resource type has an explicit class; other R4 types fall into the default', () => {
  for (const t of PRODUCT_TYPES) assert.ok(RESOURCE_TYPE_CLASS[t], `${t} has an explicit class`);
  assert.equal(resourceClassOf('MolecularSequence'), DEFAULT_RESOURCE_CLASS);
  assert.equal(DEFAULT_RESOURCE_CLASS, 'clinical', 'unknown types get the restrictive clinical class');
});

test('decide matches the expected cell for every role × action × resource type', () => {
  const types = [...Object.keys(RESOURCE_TYPE_CLASS), 'MolecularSequence', 'VisionPrescription'];
  let cells = 0;
  for (const role of ROLES) {
    for (const type of types) {
      const cls = resourceClassOf(type);
      for (const action of ACTIONS) {
        const want = (EXPECTED[role][cls] ?? '').includes(LETTER[action]);
        const got = decide(user(role), { action, resourceType: type });
        assert.equal(got.allowed, want, `${role} × ${action} × ${type} (${cls}): ${got.reason}`);
        assert.ok(got.reason.length > 0);
        cells++;
      }
    }
  }
  assert.equal(cells, ROLES.length * ACTIONS.length * (Object.keys(RESOURCE_TYPE_CLASS).length + 2));
});

test('the brief in words: front desk no notes, billing claims not notes, admin no clinical data', () => {
  assert.equal(decide(user('front-desk'), { action: 'read', resourceType: 'Appointment' }).allowed, true);
  assert.equal(decide(user('front-desk'), { action: 'update', resourceType: 'Patient' }).allowed, true);
  assert.equal(decide(user('front-desk'), { action: 'read', resourceType: 'DocumentReference' }).allowed, false);
  assert.equal(decide(user('billing'), { action: 'create', resourceType: 'Claim' }).allowed, true);
  assert.equal(decide(user('billing'), { action: 'read', resourceType: 'Encounter' }).allowed, true);
  assert.equal(decide(user('billing'), { action: 'read', resourceType: 'Composition' }).allowed, false);
  assert.equal(decide(user('admin'), { action: 'admin', resourceType: 'User' }).allowed, true);
  assert.equal(decide(user('admin'), { action: 'read', resourceType: 'Observation' }).allowed, false);
  assert.equal(decide(user('nurse'), { action: 'read', resourceType: 'Observation' }).allowed, true);
  assert.equal(decide(user('nurse'), { action: 'sign', resourceType: 'MedicationRequest' }).allowed, false);
  for (const role of ROLES) {
    for (const a of ['create', 'update', 'delete'] as const) assert.equal(decide(user(role), { action: a, resourceType: 'AuditEvent' }).allowed, false, `${role} cannot ${a} audit events`);
  }
});

test('SMART scopes: v1 and v2 forms, user vs system context', () => {
  assert.ok(scopeAllows(['user/*.read'], 'user', 'search', 'Observation'));
  assert.ok(!scopeAllows(['user/*.read'], 'user', 'create', 'Observation'));
  assert.ok(scopeAllows(['user/Patient.write'], 'user', 'update', 'Patient'));
  assert.ok(!scopeAllows(['user/Patient.write'], 'user', 'update', 'Observation'));
  assert.ok(scopeAllows(['user/Observation.rs'], 'user', 'read', 'Observation'));
  assert.ok(!scopeAllows(['user/Observation.rs'], 'user', 'delete', 'Observation'));
  assert.ok(scopeAllows(['user/*.*'], 'user', 'delete', 'Observation'));
  assert.ok(!scopeAllows(['system/*.read'], 'user', 'read', 'Patient'), 'system scope does not serve a user context');
  assert.ok(!scopeAllows(['patient/*.read', 'garbage', 'user/*.xyz'], 'user', 'read', 'Patient'));

  const tok = (scopes: string[], role?: Role): Principal => ({ kind: 'token', scopes, ...(role ? { role, userId: 'u1' as UserId } : {}) });
  assert.equal(decide(tok(['user/*.read'], 'clinician'), { action: 'read', resourceType: 'Observation' }).allowed, true);
  assert.equal(decide(tok(['user/*.read'], 'clinician'), { action: 'create', resourceType: 'Observation' }).allowed, false, 'scope narrows the role');
  assert.equal(decide(tok(['user/*.*'], 'front-desk'), { action: 'read', resourceType: 'Observation' }).allowed, false, 'scope never widens the role');
  assert.equal(decide(tok([], 'clinician'), { action: 'read', resourceType: 'Patient' }).allowed, false, 'a token without scopes can do nothing');
  assert.equal(decide(tok(['system/*.read']), { action: 'read', resourceType: 'Patient' }).allowed, true, 'a system token reads by scope');
  assert.equal(decide(tok(['system/*.*']), { action: 'admin', resourceType: 'User' }).allowed, false, 'a system token never administers');
  assert.equal(decide(tok(['system/*.*']), { action: 'read', resourceType: 'AuditEvent' }).allowed, true, 'a backend service (SIEM) may read the audit trail');
  assert.equal(decide(tok(['system/*.*']), { action: 'create', resourceType: 'AuditEvent' }).allowed, false, 'but never write it');
  assert.equal(decide(tok(['system/*.*']), { action: 'read', resourceType: 'User' }).allowed, false);
});

test('caller kinds: the node itself may do anything; a peer node replicates but not do-not-replicate records nor security data', () => {
  assert.equal(decide({ kind: 'system' }, { action: 'delete', resourceType: 'AuditEvent' }).allowed, true);
  const node: Principal = { kind: 'node', nodeId: 'n2' };
  assert.equal(decide(node, { action: 'read', resourceType: 'Observation' }).allowed, true);
  assert.equal(decide(node, { action: 'read', resourceType: 'User' }).allowed, false);
  const dnr = { resourceType: 'Observation', id: 'o', meta: { security: [DO_NOT_REPLICATE] } } as Resource;
  assert.equal(decide(node, { action: 'read', resourceType: 'Observation', resource: dnr }).allowed, false);
  assert.equal(canReadResource(user('clinician'), dnr), true, 'people on the node still read it');
  const psy = note('p1', 'dr-a');
  assert.equal(decide(node, { action: 'read', resourceType: 'DocumentReference', resource: psy }).allowed, true, 'psychotherapy notes replicate (encrypted), unless labelled do-not-replicate');
  assert.equal(decide({ kind: 'session', userId: 'x' as UserId }, { action: 'read', resourceType: 'Patient' }).allowed, false, 'a user without a role');
});

function note(patient: string, author: string, labels = [PSYCHOTHERAPY_LABEL]): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: `n-${patient}-${author}`,
    status: 'current',
    subject: { reference: `Patient/${patient}` },
    author: [{ reference: `Practitioner/${author}` }],
    content: [{ attachment: { data: 'eA==' } }],
    meta: { security: labels.map((l) => ({ ...l })) },
  };
}

test('psychotherapy notes: author only, with a fresh second factor; others never, not even nurses', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  const psy = note('p1', 'dr-a');
  const author = user('clinician', { practitionerId: 'dr-a', mfaAt: now - 60_000 });
  const other = user('clinician', { practitionerId: 'dr-b', mfaAt: now - 60_000, userId: 'u-b' as UserId });
  assert.equal(decide(author, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now }).allowed, true);
  const stale = decide({ ...author, mfaAt: now - 16 * 60_000 }, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now });
  assert.deepEqual([stale.allowed, stale.stepUp], [false, true], 'step-up after 15 minutes');
  assert.equal(decide({ ...author, mfaAt: now - 16 * 60_000 }, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now, stepUpMinutes: 30 }).allowed, true);
  assert.equal(decide(other, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now }).allowed, false);
  assert.equal(canReadResource(other, psy, now), false);
  assert.equal(canReadResource(user('nurse', { mfaAt: now }), psy, now), false);
  assert.equal(canReadResource(user('admin', { mfaAt: now }), psy, now), false);
  assert.equal(canReadResource(other, note('p1', 'dr-a', []), now), true, 'an unlabelled note is part of the chart');
  assert.equal(decide(other, { action: 'update', resourceType: 'DocumentReference', resource: psy }, { now }).allowed, false);
});

test('break-the-glass: an active grant for that patient opens the note for reading, flagged; expired or other patient does not', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  const psy = note('p1', 'dr-a');
  const other = user('clinician', { practitionerId: 'dr-b', mfaAt: now, userId: 'u-b' as UserId });
  const grant: BreakGlassGrant = { id: 'g1', userId: 'u-b', patientId: 'p1', reason: 'suicidal patient in ED', grantedAt: now - 1000, expiresAt: now + 3600_000 };
  const d = decide(other, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now, grants: [grant] });
  assert.deepEqual([d.allowed, d.breakGlass], [true, true]);
  assert.equal(decide(other, { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now: now + 3600_001, grants: [grant] }).allowed, false, 'expired');
  assert.equal(decide(other, { action: 'read', resourceType: 'DocumentReference', resource: note('p2', 'dr-a') }, { now, grants: [grant] }).allowed, false, 'other patient');
  assert.equal(decide(other, { action: 'update', resourceType: 'DocumentReference', resource: psy }, { now, grants: [grant] }).allowed, false, 'read only');
  assert.equal(decide(user('front-desk', { userId: 'u-b' as UserId, mfaAt: now }), { action: 'read', resourceType: 'DocumentReference', resource: psy }, { now, grants: [grant] }).allowed, false, 'a grant never widens the role table');
});

test('42 CFR Part 2: substance-use records are not exported without consent; reading in the practice is unaffected', () => {
  const sud = { resourceType: 'Condition', id: 'c', subject: { reference: 'Patient/p1' }, meta: { security: [SUBSTANCE_USE_LABEL] } } as Resource;
  const c = user('clinician');
  assert.equal(decide(c, { action: 'read', resourceType: 'Condition', resource: sud }).allowed, true);
  assert.equal(decide(c, { action: 'export', resourceType: 'Condition', resource: sud }).allowed, false);
  assert.equal(decide(c, { action: 'export', resourceType: 'Condition', resource: sud }, { part2Consent: true }).allowed, true);
  const now = Date.parse('2026-11-25T12:00:00Z');
  const consent = { resourceType: 'Consent' as const, status: 'active' as const, scope: { text: 'x' }, category: [{ text: 'x' }], patient: { reference: 'Patient/p1' }, provision: { type: 'permit' as const, securityLabel: [{ system: SUBSTANCE_USE_LABEL.system, code: 'ETH' }], period: { end: '2027-01-01' } } };
  assert.equal(hasPart2Consent([consent], 'p1', now), true);
  assert.equal(hasPart2Consent([consent], 'p2', now), false);
  assert.equal(hasPart2Consent([{ ...consent, status: 'inactive' }], 'p1', now), false);
  assert.equal(hasPart2Consent([consent], 'p1', Date.parse('2027-02-01')), false, 'expired');
});

test('patient compartment: a resource of another patient is refused (IDOR)', () => {
  const obs = { resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p2' } } as Resource;
  const c = user('clinician');
  assert.equal(decide(c, { action: 'read', resourceType: 'Observation', patientId: 'p2', resource: obs }).allowed, true);
  const d = decide(c, { action: 'read', resourceType: 'Observation', patientId: 'p1', resource: obs });
  assert.equal(d.allowed, false);
  assert.match(d.reason, /compartment of Patient\/p1/);
  assert.equal(decide(c, { action: 'update', resourceType: 'Patient', patientId: 'p1', resource: { resourceType: 'Patient', id: 'p2' } }).allowed, false);
  const appt = { resourceType: 'Appointment', id: 'a', status: 'booked', participant: [{ actor: { reference: 'Patient/p3' }, status: 'accepted' }] } as Resource;
  assert.equal(decide(user('front-desk'), { action: 'update', resourceType: 'Appointment', patientId: 'p1', resource: appt }).allowed, false);
  assert.equal(decide(user('front-desk'), { action: 'update', resourceType: 'Appointment', patientId: 'p3', resource: appt }).allowed, true);
  assert.equal(decide(c, { action: 'read', resourceType: 'Patient', resource: obs }).allowed, true, 'the decision follows the resource actually touched');
});
