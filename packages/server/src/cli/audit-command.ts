/**
 * `chartroom audit verify|report|break-glass`: check the hash chain (edited, deleted,
 * inserted or reordered events), who looked at a chart (ONC (d)(3)) and the
 * break-the-glass grants for the privacy officer's review.
 */
import { parseArgs } from 'node:util';
import { openDataDir } from '../data-dir.js';
import { auditReport, parseReportTime, REPORT_FIELDS } from '../security/audit-report.js';
import type { AuditReportRow } from '../security/audit-report.js';
import { dataDirSigner } from '../security/audit-signing.js';
import { auditDb } from '../security/audit-tables.js';
import { verifyAuditTrail } from '../security/audit-verify.js';
import { listGrants } from '../security/break-glass.js';
import type { ModuleCommand } from './main.js';
import { openDataStore } from './open-data-store.js';
import { UsageError } from './usage-error.js';

const USAGE = `audit verify      --data DIR [--store URL]          check every node's audit chain and signed heads (exit 1 on tampering)
  audit report      --data DIR --patient ID [--from D] [--to D] [--sort=time,-user] [--disclosures] [--json]
                                                     who looked at a chart; sort by ${REPORT_FIELDS.join(', ')}
  audit break-glass --data DIR [--from D] [--to D] [--json]   emergency-access grants for review`;

function table(rows: readonly Record<string, unknown>[], cols: readonly string[]): string {
  const cells = rows.map((r) => cols.map((c) => String(r[c] ?? '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (vals: readonly string[]): string => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Parses the options; a malformed command line is a usage error (descending sorts: `--sort=-user`). */
function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      options: {
        data: { type: 'string' },
        store: { type: 'string' },
        patient: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        sort: { type: 'string' },
        disclosures: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(`chartroom audit: ${(err as Error).message}`);
  }
}

/** The `audit` command. */
export const auditCommand: ModuleCommand = {
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseOptions(rest);
    if (sub !== 'verify' && sub !== 'report' && sub !== 'break-glass') throw new UsageError(`chartroom audit needs verify, report or break-glass; got "${sub ?? ''}"`);
    if (!values.data) throw new UsageError(`chartroom audit ${sub} needs --data DIR`);
    const dd = openDataDir(values.data);
    const from = parseReportTime(values.from, 'from');
    const to = parseReportTime(values.to, 'to', true);
    const store = await openDataStore(values.data, values.store);
    try {
      if (sub === 'verify') {
        const own = dataDirSigner(dd.dir).publicKeyPem;
        const r = await verifyAuditTrail(store.dialect.db, { [dd.config.nodeId]: [own] });
        for (const [node, n] of Object.entries(r.nodes)) console.log(`node ${node}: ${n.events} events, last ${n.lastSeq}, signed through ${n.signedThrough}`);
        for (const p of r.problems) console.log(`PROBLEM node ${p.nodeId} event ${p.seq}: ${p.problem} — ${p.detail}`);
        console.log(r.ok ? `Audit trail intact: ${r.events} events.` : `Audit trail TAMPERED: ${r.problems.length} problem(s).`);
        return r.ok ? 0 : 1;
      }
      if (sub === 'report') {
        if (!values.patient) throw new UsageError('chartroom audit report needs --patient ID');
        const rows: AuditReportRow[] = await auditReport(store.dialect.db, { patientId: values.patient, from, to, sort: values.sort ? [values.sort] : undefined, disclosures: values.disclosures, limit: 10_000 });
        if (values.json) console.log(JSON.stringify(rows, null, 2));
        else {
          console.log(table(rows as unknown as Record<string, unknown>[], ['time', 'user', 'role', 'action', 'outcome', 'resource', 'address', 'purpose', 'severity', 'node']));
          console.log(`${rows.length} event(s) for Patient/${values.patient}.`);
        }
        return 0;
      }
      let q = auditDb(store.dialect.db).selectFrom('audit_break_glass').selectAll();
      if (from !== undefined) q = q.where('granted_at', '>=', from);
      if (to !== undefined) q = q.where('granted_at', '<=', to);
      const grants = listGrants(await q.orderBy('granted_at', 'desc').execute(), Date.now());
      const shown = grants.map((g) => ({ ...g, grantedAt: new Date(g.grantedAt).toISOString(), expiresAt: new Date(g.expiresAt).toISOString(), user: g.username ?? g.userId }));
      if (values.json) console.log(JSON.stringify(shown, null, 2));
      else {
        console.log(table(shown, ['grantedAt', 'expiresAt', 'active', 'user', 'patientId', 'nodeId', 'reason']));
        console.log(`${grants.length} break-the-glass grant(s).`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
