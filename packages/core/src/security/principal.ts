/**
 * Who is asking: the one description of a caller that authentication produces and the
 * policy, the audit trail and the FHIR router consume. Isomorphic (no node:*).
 */

/** The practice roles (ARCHITECTURE §5). */
export const ROLES = ['admin', 'clinician', 'nurse', 'front-desk', 'billing'] as const;
export type Role = (typeof ROLES)[number];

/** A user's id: never reused, even after the user is disabled. */
export type UserId = string & { readonly __brand: 'UserId' };

/** How the caller authenticated. */
export const PRINCIPAL_KINDS = ['session', 'token', 'node', 'system'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export interface Principal {
  kind: PrincipalKind;
  /** The person behind a session or token (absent for nodes and the system itself). */
  userId?: UserId;
  username?: string;
  role?: Role;
  /** The Practitioner this user is, where clinical (`Practitioner/<id>` is the reference). */
  practitionerId?: string;
  /** SMART-style scopes of a bearer token (`user/*.read`, `system/*.read`…); sessions have none. */
  scopes?: readonly string[];
  /** The session or token id, for revocation and the audit trail. */
  credentialId?: string;
  /** A peer node authenticated for replication. */
  nodeId?: string;
  /** When the caller last proved a second factor (ms since epoch), for step-up checks. */
  mfaAt?: number;
  /** Network address of the request, for the audit trail. */
  address?: string;
}

/** The node itself (CLI import, demo loading, replication apply): never an HTTP caller. */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ kind: 'system' });
