/**
 * FHIR Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html): `$export` at the
 * system, `Patient` and `Group/[id]` levels with the asynchronous pattern — kick-off
 * (`Prefer: respond-async` → 202 and `Content-Location`), status polling (202 with
 * `X-Progress` while running, then 200 with the manifest), NDJSON file download, and
 * DELETE to cancel or clean up. `_type`, `_since` and `_outputFormat` are supported.
 *
 * Files live in the node's data directory (`exports/`), split at {@link LINES_PER_FILE}
 * resources, encrypted with AES-256-GCM under a key that exists only in this process's
 * memory (they are unreadable after a restart, and the folder is emptied at start), and
 * deleted when they expire (default one hour after the job completes). Jobs are kept in
 * memory. Transport-free: the router hands over a {@link FhirRequest}.
 *
 * Access: the caller's principal is decided by the policy (`decide`, action `export`) — at
 * kick-off for the resource types (an explicitly requested type the caller may not export is
 * a 403; types it may not export are otherwise left out), then for every labelled resource,
 * with the patient's 42 CFR Part 2 consent passed in (an active permitting Consent read at
 * the start of the job). What was withheld is said in the manifest's `error` file
 * (OperationOutcome, code `suppressed`, counts only). A job's status and files are only
 * served to the caller that started it. The node itself (no principal) exports everything.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { badRequest, decide, hasPart2Consent, isSupportedResourceType, notFound, outcome, outcomeError, patientIdsOf, supportedResourceTypes } from '@chartroom/core';
import type { Principal } from '@chartroom/core';
import type { Consent, Group, Resource } from '@medplum/fhirtypes';
import { forbiddenError } from './access-control.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { StoreDialect } from '../store/dialect.js';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import { scanResources } from '../continuity/resource-scan.js';
import type { ScanFilter } from '../continuity/resource-scan.js';
import type { FhirRequest, FhirResponse } from './types.js';

/** Resources per NDJSON file; a type with more gets several files. */
export const LINES_PER_FILE = 5000;
const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const SUPPORTED_PARAMS = new Set(['_outputFormat', '_since', '_type']);

export interface BulkExportOptions {
  /** Folder for export files (emptied when the service starts). */
  dir: string;
  /** Milliseconds a completed export's files are kept (default one hour). */
  expiryMs?: number;
  clock?: Clock;
}

type JobStatus = 'in-progress' | 'complete' | 'error' | 'cancelled';

interface ExportFile {
  type: string;
  name: string;
  count: number;
}

/** Who asked for an export, for the policy decisions made while it runs. */
export interface ExportAccess {
  principal: Principal;
  /** Types left out because the caller may not export them, with why. */
  deniedTypes: { type: string; reason: string }[];
}

interface ExportJob {
  id: string;
  /** Who started it (only they may poll, download or delete it); undefined for the node itself. */
  owner: string | undefined;
  access: ExportAccess | undefined;
  /** Resources withheld by their labels: `type\u0000reason` → count. */
  withheld: Map<string, number>;
  errorFiles: ExportFile[];
  status: JobStatus;
  request: string;
  transactionTime: string;
  files: ExportFile[];
  exported: number;
  error?: string;
  completedAt?: number;
}

/** The running export jobs of one store, and their files. */
export class BulkExportService {
  private readonly jobs = new Map<string, ExportJob>();
  private readonly key = randomBytes(32);
  private readonly clock: Clock;
  private readonly expiryMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly repo: FhirRepository,
    private readonly options: BulkExportOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.expiryMs = options.expiryMs ?? 3_600_000;
    rmSync(options.dir, { recursive: true, force: true });
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Stops the sweeper and deletes every file. */
  close(): void {
    clearInterval(this.sweeper);
    for (const job of this.jobs.values()) if (job.status === 'in-progress') job.status = 'cancelled';
    rmSync(this.options.dir, { recursive: true, force: true });
  }

  /** Deletes the files of jobs past their expiry. */
  sweep(): void {
    const now = this.clock.now();
    for (const job of this.jobs.values()) {
      if (job.completedAt !== undefined && now - job.completedAt >= this.expiryMs) this.remove(job);
    }
  }

  private remove(job: ExportJob): void {
    if (job.status === 'in-progress') job.status = 'cancelled';
    this.jobs.delete(job.id);
    rmSync(join(this.options.dir, job.id), { recursive: true, force: true });
  }

  /** Starts an export job; returns its id (the work goes on in the background). */
  kickOff(filter: ScanFilter | (() => Promise<ScanFilter>), request: string, access?: ExportAccess): string {
    const job: ExportJob = {
      id: randomUUID(),
      owner: access ? ownerOf(access.principal) : undefined,
      access,
      withheld: new Map(),
      errorFiles: [],
      status: 'in-progress',
      request,
      transactionTime: new Date(this.clock.now()).toISOString(),
      files: [],
      exported: 0,
    };
    this.jobs.set(job.id, job);
    mkdirSync(join(this.options.dir, job.id), { recursive: true, mode: 0o700 });
    void this.run(job, filter).catch((err: unknown) => {
      job.status = job.status === 'cancelled' ? 'cancelled' : 'error';
      job.error = (err as Error).message;
      job.completedAt = this.clock.now();
    });
    return job.id;
  }

  /** Waits until a job is no longer in progress (for tests and the CLI). */
  async settled(id: string): Promise<void> {
    while (this.jobs.get(id)?.status === 'in-progress') await new Promise((r) => setTimeout(r, 5));
  }

  private async run(job: ExportJob, filterOrFn: ScanFilter | (() => Promise<ScanFilter>)): Promise<void> {
    const filter = typeof filterOrFn === 'function' ? await filterOrFn() : filterOrFn;
    const buffers = new Map<string, string[]>();
    const parts = new Map<string, number>();
    const flush = (type: string): void => {
      const lines = buffers.get(type);
      if (!lines?.length) return;
      const part = (parts.get(type) ?? 0) + 1;
      parts.set(type, part);
      const name = `${type}-${part}.ndjson`;
      this.writeEncrypted(join(this.options.dir, job.id, name), lines.join('\n') + '\n');
      job.files.push({ type, name, count: lines.length });
      buffers.set(type, []);
    };
    const access = job.access;
    const now = this.clock.now();
    const consented = access ? await part2ConsentedPatients(this.repo.dialect, now) : new Set<string>();
    let n = 0;
    for await (const r of scanResources(this.repo.dialect, filter)) {
      if (job.status !== 'in-progress') return;
      if (access && r.json.includes('"security"')) {
        const resource = JSON.parse(r.json) as Resource;
        const patients = patientIdsOf(resource);
        const part2Consent = patients.length > 0 && patients.every((p) => consented.has(p));
        const d = decide(access.principal, { action: 'export', resourceType: r.type, resource }, { now, part2Consent });
        if (!d.allowed) {
          const key = `${r.type}\u0000${d.reason}`;
          job.withheld.set(key, (job.withheld.get(key) ?? 0) + 1);
          continue;
        }
      }
      let lines = buffers.get(r.type);
      if (!lines) buffers.set(r.type, (lines = []));
      lines.push(r.json);
      job.exported++;
      if (lines.length >= LINES_PER_FILE) flush(r.type);
      // Let requests through between pages of a large export.
      if (++n % 1000 === 0) await new Promise((res) => setImmediate(res));
    }
    if (job.status !== 'in-progress') return;
    for (const type of [...buffers.keys()].sort()) flush(type);
    // Types left out at kick-off, as far as the store holds any (counts of current resources).
    const held = access?.deniedTypes.length ? await this.repo.countByType() : {};
    const denied = (access?.deniedTypes ?? []).filter((d) => (held[d.type] ?? 0) > 0);
    const notes = [
      ...denied.map((d) => outcome('ok', `${held[d.type] ?? 0} ${d.type} resource${held[d.type] === 1 ? '' : 's'} not exported: ${d.reason}`, undefined, 'information')),
      ...[...job.withheld].map(([key, count]) => {
        const [type, reason] = key.split('\u0000');
        return outcome('ok', `${count} ${type ?? ''} resource${count === 1 ? '' : 's'} withheld: ${reason ?? ''}`, undefined, 'information');
      }),
    ];
    for (const o of notes) for (const issue of o.issue) issue.code = 'suppressed';
    if (notes.length) {
      const name = 'OperationOutcome-1.ndjson';
      this.writeEncrypted(join(this.options.dir, job.id, name), notes.map((o) => JSON.stringify(o)).join('\n') + '\n');
      job.errorFiles.push({ type: 'OperationOutcome', name, count: notes.length });
    }
    job.files.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name, 'en', { numeric: true }) : a.type.localeCompare(b.type)));
    job.status = 'complete';
    job.completedAt = this.clock.now();
  }

  private writeEncrypted(path: string, text: string): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    writeFileSync(path, Buffer.concat([iv, body, cipher.getAuthTag()]), { mode: 0o600 });
  }

  private readEncrypted(path: string): string {
    const data = readFileSync(path);
    const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
  }

  private job(id: string | undefined, principal?: Principal): ExportJob {
    this.sweep();
    const found = id ? this.jobs.get(id) : undefined;
    // Another caller's job does not exist for this one (its id reveals nothing either).
    const job = found && (found.owner === undefined || (principal !== undefined && ownerOf(principal) === found.owner)) ? found : undefined;
    if (!job) throw notFound(`No export job "${id ?? ''}" (it may have expired or been deleted)`);
    return job;
  }

  /** The status response of a job: 202 while running, 200 with the manifest when complete. */
  status(id: string | undefined, baseUrl: string, principal?: Principal): FhirResponse {
    const job = this.job(id, principal);
    switch (job.status) {
      case 'in-progress':
        return { status: 202, headers: { 'x-progress': `${job.exported} resources exported`, 'retry-after': '2' } };
      case 'error':
        throw outcomeError('serverError', `The export failed: ${job.error ?? 'unknown error'}`);
      case 'cancelled':
        throw notFound(`Export job ${job.id} was cancelled`);
      case 'complete':
        return {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8', expires: new Date((job.completedAt ?? 0) + this.expiryMs).toUTCString() },
          body: {
            transactionTime: job.transactionTime,
            request: job.request,
            requiresAccessToken: true,
            output: job.files.map((f) => ({ type: f.type, url: `${baseUrl}/$export-file/${job.id}/${f.name}`, count: f.count })),
            error: job.errorFiles.map((f) => ({ type: f.type, url: `${baseUrl}/$export-file/${job.id}/${f.name}`, count: f.count })),
          },
        };
      default:
        throw new Error(`Unknown job status ${String(job.status satisfies never)}`);
    }
  }

  /** Cancels a running job or deletes a finished one's files (https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-delete-request). */
  cancel(id: string | undefined, principal?: Principal): FhirResponse {
    this.remove(this.job(id, principal));
    return { status: 202 };
  }

  /** One NDJSON file of a completed job. */
  file(id: string, name: string, principal?: Principal): FhirResponse {
    const job = this.job(id, principal);
    const file = job.status === 'complete' ? [...job.files, ...job.errorFiles].find((f) => f.name === name) : undefined;
    if (!file) throw notFound(`No file "${name}" in export ${id}`);
    return { status: 200, raw: true, body: this.readEncrypted(join(this.options.dir, job.id, file.name)), headers: { 'content-type': 'application/fhir+ndjson' } };
  }
}

/** The identity a job belongs to: the user, else the credential, else the peer node. */
function ownerOf(p: Principal): string {
  return p.userId ? `user:${p.userId}` : p.credentialId ? `credential:${p.credentialId}` : p.nodeId ? `node:${p.nodeId}` : `kind:${p.kind}`;
}

/** Patients with an active Consent permitting disclosure of their 42 CFR Part 2 records at `now`. */
async function part2ConsentedPatients(dialect: StoreDialect, now: number): Promise<Set<string>> {
  const byPatient = new Map<string, Consent[]>();
  for await (const r of scanResources(dialect, { types: ['Consent'] })) {
    const c = JSON.parse(r.json) as Consent;
    const ref = c.patient?.reference;
    if (c.status !== 'active' || !ref?.startsWith('Patient/')) continue;
    const id = ref.slice('Patient/'.length);
    byPatient.set(id, [...(byPatient.get(id) ?? []), c]);
  }
  return new Set([...byPatient].filter(([id, cs]) => hasPart2Consent(cs, id, now)).map(([id]) => id));
}

/**
 * The kick-off's type-level decisions: an explicitly requested type the caller may not
 * export is refused (403); otherwise the types it may not export are left out. Patient and
 * Group exports need export rights on Patient (the compartments are patients').
 */
function exportAccess(principal: Principal, filter: ScanFilter, level: 'system' | 'patient'): { access: ExportAccess; filter: ScanFilter } {
  const explicit = filter.types !== undefined;
  if (level === 'patient') {
    const d = decide(principal, { action: 'export', resourceType: 'Patient' });
    if (!d.allowed) throw forbiddenError(d);
  }
  const allowed: string[] = [];
  const deniedTypes: { type: string; reason: string }[] = [];
  for (const type of filter.types ?? supportedResourceTypes()) {
    const d = decide(principal, { action: 'export', resourceType: type });
    if (d.allowed) allowed.push(type);
    else if (explicit) throw forbiddenError(d);
    else deniedTypes.push({ type, reason: d.reason });
  }
  if (!allowed.length) throw forbiddenError({ allowed: false, reason: `${principal.role ? `role ${principal.role}` : 'this caller'} may not export any resource type` });
  return { access: { principal, deniedTypes }, filter: { ...filter, types: allowed } };
}

const services = new WeakMap<StoreDialect, BulkExportService>();

/** Turns on `$export` for a repository's store (the HTTP app does this when configured). */
export function enableBulkExport(repo: FhirRepository, options: BulkExportOptions): BulkExportService {
  services.get(repo.dialect)?.close();
  const service = new BulkExportService(repo, options);
  services.set(repo.dialect, service);
  return service;
}

/** Turns `$export` off again and deletes its files. */
export function disableBulkExport(repo: FhirRepository): void {
  services.get(repo.dialect)?.close();
  services.delete(repo.dialect);
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Parses the kick-off parameters (query, or a Parameters body on POST) into a scan filter. */
function kickOffFilter(req: FhirRequest): ScanFilter {
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.query)) params[k] = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const body = req.body as { resourceType?: string; parameter?: { name: string; valueString?: string; valueInstant?: string }[] } | undefined;
  if (req.method === 'POST' && body?.resourceType === 'Parameters') {
    for (const p of body.parameter ?? []) (params[p.name] ??= []).push(p.valueString ?? p.valueInstant ?? '');
  }
  for (const k of Object.keys(params)) {
    if (!SUPPORTED_PARAMS.has(k)) throw badRequest(`Export parameter "${k}" is not supported (supported: _outputFormat, _since, _type)`, k);
  }
  const format = params._outputFormat?.at(-1);
  if (format !== undefined && !NDJSON_FORMATS.has(format)) throw badRequest(`_outputFormat "${format}" is not supported; use application/fhir+ndjson`, '_outputFormat');
  const filter: ScanFilter = {};
  const types = params._type?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  if (types?.length) {
    for (const t of types) if (!isSupportedResourceType(t)) throw badRequest(`_type: unknown resource type "${t}"`, '_type');
    filter.types = types;
  }
  const since = params._since?.at(-1);
  if (since !== undefined) {
    const ms = Date.parse(since);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(ms)) throw badRequest(`_since "${since}" is not a FHIR instant (e.g. 2026-01-01T00:00:00Z)`, '_since');
    filter.since = ms;
  }
  return filter;
}

/** The patient ids of a Group's members. */
async function groupPatients(repo: FhirRepository, id: string): Promise<string[]> {
  const group = JSON.parse((await repo.read('Group', id)).json) as Group;
  return (group.member ?? []).map((m) => m.entity.reference ?? '').filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length));
}

/**
 * Handles the bulk export paths (`$export`, `Patient/$export`, `Group/[id]/$export`,
 * `$export-poll-status`, `$export-file/…`); undefined for any other path.
 */
export function routeBulkExport(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> | undefined {
  const parts = req.path.split('/').filter((p) => p !== '');
  const last = parts[parts.length - 1];
  const isExport = last === '$export' && (parts.length === 1 || (parts.length === 2 && parts[0] === 'Patient') || (parts.length === 3 && parts[0] === 'Group'));
  const isBulkPath = isExport || parts[0] === '$export-poll-status' || parts[0] === '$export-file';
  if (!isBulkPath) return undefined;
  return (async () => {
    const service = services.get(repo.dialect);
    if (!service) throw outcomeError('notImplemented', 'Bulk export is not enabled on this server (it needs a data directory for its files)');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (isExport) {
      if (method !== 'GET' && method !== 'POST') throw outcomeError('notAllowed', '$export supports GET and POST');
      if (!/respond-async/i.test(req.prefer ?? '')) throw badRequest('$export is asynchronous: send the header "Prefer: respond-async"');
      const level = parts[0] === 'Patient' || parts[0] === 'Group' ? 'patient' : 'system';
      const asked = kickOffFilter(req);
      const principal = req.principal && req.principal.kind !== 'system' ? req.principal : undefined;
      const decided = principal ? exportAccess(principal, asked, level) : undefined;
      const filter = decided?.filter ?? asked;
      const access = decided?.access;
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, x);
      const request = `${req.baseUrl}/${parts.join('/')}${query.size ? `?${query.toString()}` : ''}`;
      let id: string;
      if (parts[0] === 'Group') {
        const groupId = parts[1] as string;
        await repo.read('Group', groupId); // 404/410 now, not in the status
        id = service.kickOff(async () => ({ ...filter, patients: await groupPatients(repo, groupId) }), request, access);
      } else {
        id = service.kickOff(parts[0] === 'Patient' ? { ...filter, patients: 'all' } : filter, request, access);
      }
      return { status: 202, headers: { 'content-location': `${req.baseUrl}/$export-poll-status?_job=${id}` } };
    }
    if (parts[0] === '$export-poll-status' && parts.length === 1) {
      const id = single(req.query._job);
      if (method === 'GET') return service.status(id, req.baseUrl, req.principal);
      if (method === 'DELETE') return service.cancel(id, req.principal);
      throw outcomeError('notAllowed', '$export-poll-status supports GET and DELETE');
    }
    if (parts[0] === '$export-file' && parts.length === 3 && method === 'GET') return service.file(parts[1] as string, parts[2] as string, req.principal);
    throw notFound(`No route for ${req.method} ${req.path}`);
  })();
}
