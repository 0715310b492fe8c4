/**
 * What an app route does, in the terms the policy decides on. Each `/api/…` route declares
 * one in its Fastify route options (`config: { access: { … } }`); the policy hook refuses
 * any app route that declares none.
 */

/** Actions the policy decides on (extend here, and give every role a decision for each). */
export const ACTIONS = ['read', 'search', 'create', 'update', 'delete', 'sign', 'export', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

export interface RouteAccess {
  action: Action;
  /** The FHIR resource type the route reads or writes (e.g. `Appointment`, `DocumentReference`). */
  resourceType: string;
  /** Name of the route parameter holding the patient id, for compartment checks (e.g. `id`). */
  patientParam?: string;
  /**
   * Who may call it at all: `public` needs no login (sign-in, health check); `authenticated`
   * is any signed-in caller acting on their own account (own sessions, MFA enrolment), not
   * decided by the role table. Absent: the role table decides.
   */
  audience?: 'public' | 'authenticated';
}
