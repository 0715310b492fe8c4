/** Admin data: users (/api/admin/users), own MFA enrolment (/api/account/mfa/…), sync peers (/api/sync/status), audit (/api/audit). */
import { apiRequest } from '../api/api-client';
import type { Role } from '../login/session.resource';

export interface AdminUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  practitionerId?: string;
  disabled: boolean;
  mfaEnrolled: boolean;
  mustChangePassword?: boolean;
}

export const ROLES: Role[] = ['admin', 'clinician', 'nurse', 'front-desk', 'billing'];

/** All users. */
export async function loadUsers(signal: AbortSignal): Promise<AdminUser[]> {
  return (await apiRequest<{ users: AdminUser[] }>('/api/admin/users', { signal, what: 'Loading users' })).users;
}

/** Creates a user (a one-time password comes back when none is given). */
export async function createUser(u: { username: string; displayName: string; role: Role }): Promise<unknown> {
  return apiRequest('/api/admin/users', { method: 'POST', body: u, what: `Creating ${u.username}` });
}

/** Changes a user's role. */
export async function setRole(id: string, role: Role): Promise<void> {
  await apiRequest(`/api/admin/users/${encodeURIComponent(id)}/role`, { method: 'POST', body: { role }, what: 'Changing the role' });
}

/** Disables or enables a user. */
export async function setDisabled(id: string, disabled: boolean): Promise<void> {
  await apiRequest(`/api/admin/users/${encodeURIComponent(id)}/${disabled ? 'disable' : 'enable'}`, { method: 'POST', body: {}, what: disabled ? 'Disabling the user' : 'Enabling the user' });
}

export interface MfaEnrolment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

/** Starts TOTP enrolment for the signed-in user. */
export async function startMfa(): Promise<MfaEnrolment> {
  return apiRequest<MfaEnrolment>('/api/account/mfa/enrol', { method: 'POST', body: {}, what: 'Starting MFA enrolment' });
}

/** Confirms enrolment with a first code; returns recovery codes (shown once). */
export async function confirmMfa(code: string): Promise<{ recoveryCodes: string[] }> {
  return apiRequest('/api/account/mfa/verify', { method: 'POST', body: { code }, what: 'Confirming MFA' });
}

export interface AuditRow {
  time: string;
  user: string;
  role: string;
  action: string;
  outcome: string;
  severity: string;
  patient: string;
  resource: string;
  address: string;
  purpose: string;
  node: string;
  seq: number;
}

/** Audit rows (who did what, optionally for one patient), newest first. */
export async function loadAudit(q: { patient?: string; sort?: string }, signal: AbortSignal): Promise<AuditRow[]> {
  const p = new URLSearchParams({ limit: '200' });
  if (q.patient) p.set('patient', q.patient);
  p.set('sort', q.sort ?? '-time');
  return (await apiRequest<{ rows: AuditRow[] }>(`/api/audit?${p}`, { signal, what: 'Loading the audit log' })).rows;
}

export interface PeerRow {
  nodeId: string;
  name: string;
  url: string | null;
  direction: string;
  state: string;
  connected: boolean;
  lastSuccessAt: string | null;
  lastError: string | null;
  pendingChanges: number;
}

/** Sync peers and the node's own sync figures. */
export async function loadPeers(signal: AbortSignal): Promise<{ state: string; pendingChanges: number; conflicts: number; quarantined: number; lastSuccessfulSync: string | null; peers: PeerRow[] }> {
  return apiRequest('/api/sync/status', { signal, what: 'Loading sync peers' });
}

/** A batch the sync safety valve held for an administrator (GET /api/sync/quarantine). */
export interface QuarantineItem {
  id: string;
  peer: string;
  status: 'pending' | 'approved' | 'rejected';
  docs: number;
  destructive: number;
  /** Live records on this node when the batch arrived (what the 5 % is measured against). */
  resources: number;
  createdAt: string;
  decidedAt: string | null;
}

export async function loadQuarantine(signal: AbortSignal): Promise<QuarantineItem[]> {
  return (await apiRequest<{ items: QuarantineItem[] }>('/api/sync/quarantine', { signal, what: 'Loading quarantined sync batches' })).items;
}

/** Approves (applies) or rejects (drops) a held batch. */
export async function decideQuarantine(id: string, decision: 'approve' | 'reject'): Promise<void> {
  await apiRequest(`/api/sync/quarantine/${encodeURIComponent(id)}/${decision}`, { method: 'POST', body: {}, what: decision === 'approve' ? 'Approving the batch' : 'Rejecting the batch' });
}

/** GET /api/downtime-kit/settings (the passphrase itself is never sent back). */
export interface DowntimeKitSettings {
  everyMinutes: number;
  folders: string[];
  allPatients: boolean;
  passphraseSet: boolean;
  lastWritten: { at: string; folder: string; bytes: number; appointments: number; faceSheets: number } | null;
}

export async function loadKitSettings(signal: AbortSignal): Promise<DowntimeKitSettings> {
  return apiRequest<DowntimeKitSettings>('/api/downtime-kit/settings', { signal, what: 'Loading the downtime-kit settings' });
}

export async function saveKitSettings(change: { everyMinutes?: number; folders?: string[]; allPatients?: boolean; passphrase?: string }): Promise<DowntimeKitSettings> {
  return apiRequest<DowntimeKitSettings>('/api/downtime-kit/settings', { method: 'PUT', body: change, what: 'Saving the downtime-kit settings' });
}

/** Writes a kit now; the answer lists the files written and any folder that failed. */
export async function runKitNow(): Promise<{ files: string[]; failures: { folder: string; error: string }[]; elapsedMs: number }> {
  return apiRequest('/api/downtime-kit/run', { method: 'POST', body: {}, what: 'Writing the downtime kit' });
}
