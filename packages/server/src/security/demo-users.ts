/**
 * The demo practice's users: one per role, clinical ones linked to the demo's Practitioner
 * resources, with generated passwords and — for the roles that must use a second factor —
 * TOTP set up already, so a newcomer can sign in with an authenticator app or with
 * `chartroom user totp-code` (demo users only).
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '@chartroom/core';
import { demoIds } from '../demo/demo-ids.js';
import { DEFAULT_DEMO_SEED } from '../demo/load-demo.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { AuthService } from './auth-service.js';
import { totpUri } from './totp.js';

export interface DemoUserSpec {
  username: string;
  displayName: string;
  role: Role;
  /** Key of the demo Practitioner (see demo/practice.ts). */
  practitionerKey?: string;
  note: string;
}

export const DEMO_USERS: readonly DemoUserSpec[] = [
  { username: 'admin', displayName: 'Practice administrator', role: 'admin', note: 'users, settings, audit; no charts' },
  { username: 'dr.okafor', displayName: 'Dr. Amara Okafor, MD', role: 'clinician', practitionerKey: 'psychiatrist', note: 'psychiatrist' },
  { username: 'dr.herrera', displayName: 'Dr. Tomás Herrera, MD', role: 'clinician', practitionerKey: 'familyPhysician', note: 'family physician' },
  { username: 'j.lindqvist', displayName: 'Jonas Lindqvist, LICSW', role: 'clinician', practitionerKey: 'psychotherapist', note: 'psychotherapist (writes psychotherapy notes)' },
  { username: 'nurse', displayName: 'Priya Natarajan, FNP-C', role: 'nurse', practitionerKey: 'nursePractitioner', note: 'nurse' },
  { username: 'frontdesk', displayName: 'Marisol Peña', role: 'front-desk', practitionerKey: 'frontDesk1', note: 'schedule and demographics, not notes' },
  { username: 'billing', displayName: 'Billing office', role: 'billing', note: 'what billing needs' },
];

export interface DemoCredential {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  practitionerId?: string;
  /** otpauth:// URI when the user has TOTP set up. */
  otpauthUri?: string;
  note: string;
}

/** Creates the demo users (skipping names that exist); returns their credentials. */
export async function createDemoUsers(auth: AuthService, repo: FhirRepository, seed: string | number = DEFAULT_DEMO_SEED): Promise<DemoCredential[]> {
  const id = demoIds(String(seed));
  const out: DemoCredential[] = [];
  for (const spec of DEMO_USERS) {
    if (await auth.accounts.rowByUsername(spec.username)) continue;
    let practitionerId: string | undefined;
    if (spec.practitionerKey) {
      const pid = id(`Practitioner/${spec.practitionerKey}`);
      if (await repo.readCurrent('Practitioner', pid)) practitionerId = pid;
    }
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    const { user } = await auth.accounts.add({ username: spec.username, displayName: spec.displayName, role: spec.role, practitionerId, password, demo: true });
    let otpauthUri: string | undefined;
    if (auth.settings.mfaRequiredRoles.includes(spec.role)) otpauthUri = totpUri(await auth.enrolTotpDirectly(user.id), spec.username);
    out.push({ username: spec.username, displayName: spec.displayName, role: spec.role, password, note: spec.note, ...(practitionerId ? { practitionerId } : {}), ...(otpauthUri ? { otpauthUri } : {}) });
  }
  return out;
}
