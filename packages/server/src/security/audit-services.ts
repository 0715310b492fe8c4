/**
 * Opens a node's audit trail and break-the-glass service over its store (what `serve` and
 * the CLI use); close flushes staged events and signs the chain head.
 */
import type { Store } from '../store/open-store.js';
import { AuditLog } from './audit-log.js';
import type { AuditSigner } from './audit-signing.js';
import { BreakGlassService } from './break-glass.js';

export interface AuditServices {
  audit: AuditLog;
  breakGlass: BreakGlassService;
  close(): Promise<void>;
}

/** Opens the audit log (signing with `signer`) and the break-the-glass service of `nodeId`. */
export async function openAuditServices(store: Pick<Store, 'dialect' | 'writes' | 'repo'>, nodeId: string, signer: AuditSigner, onError?: (err: unknown) => void): Promise<AuditServices> {
  const audit = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId, signer, ...(onError ? { onError } : {}) });
  const breakGlass = await BreakGlassService.open({
    db: store.dialect.db,
    writes: store.writes,
    nodeId,
    audit,
    patientExists: async (id) => {
      const v = await store.repo.readCurrent('Patient', id);
      return v !== undefined && !v.deleted;
    },
  });
  return { audit, breakGlass, close: () => audit.close() };
}
