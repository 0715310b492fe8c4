/**
 * Finds the security area's audit-chain verifier when this build has one, so `verify` can
 * check the chain without depending on a module that may not exist yet.
 */
import type { AuditChainVerifier } from './verify.js';

/** The audit verifier exported as `verifyAuditChainDatabase` by `security/audit-verify.ts`, or undefined. */
export async function findAuditVerifier(): Promise<AuditChainVerifier | undefined> {
  const path = '../security/audit-verify.js';
  try {
    const mod = (await import(path)) as { verifyAuditChainDatabase?: AuditChainVerifier };
    return typeof mod.verifyAuditChainDatabase === 'function' ? mod.verifyAuditChainDatabase : undefined;
  } catch {
    return undefined;
  }
}
