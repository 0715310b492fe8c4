/**
 * The `chartroom` command: init, serve, import, demo, and `start` (what `npm start` runs).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_ENV, KeyError, envKey, initDataDir, isDataDir, openDataDir, readKey } from '../data-dir.js';
import { UnencryptedDatabaseError } from '../store/open-store.js';
import { openAuthService } from '../security/open-auth-service.js';
import { createFirstAdmin, readDemoUsers, setUpDemoUsers, userCommand, withNodeAuth } from './user-command.js';
import { tokenCommand } from './token-command.js';
import { mfaSettings } from '../security/auth-service.js';
import { openDataStore } from './open-data-store.js';
import { WrongKeyError } from '../store/sqlite-dialect.js';
import { buildApp } from '../http/app.js';
import { openAuditServices } from '../security/audit-services.js';
import { auditCommand } from './audit-command.js';
import { dataDirSigner } from '../security/audit-signing.js';
import { releaseStartupMemory } from '../release-startup-memory.js';
import { warmPatientDirectories } from '../clinical/patients/patient-search.js';
import { startMllpListener } from '../clinical/labs/mllp-listener.js';
import { runImport } from './import-command.js';
import { runDemo } from './demo-command.js';
import { UsageError } from './usage-error.js';
import { backupCommand } from './backup-command.js';
import { restoreCommand } from './restore-command.js';
import { verifyCommand } from './verify-command.js';
import { exportCommand } from './export-command.js';
import { downtimeKitCommand } from './downtime-kit-command.js';
import { drillCommand } from './drill-command.js';
import { startContinuitySchedules } from '../continuity/serve-schedules.js';
import { DowntimeKitService } from '../downtime/kit-settings.js';
import { peerCommand } from './peer-command.js';
import { syncCommand } from './sync-command.js';
import { rekeyCommand } from './rekey-command.js';
import { chooseServeTls, startSync } from '../sync/serve-sync.js';
import { showFingerprint } from '../sync/tls-certificate.js';

const USAGE = `Usage: chartroom <command> [options]

Commands:
  init   --data DIR [--practice NAME] [--admin-password-file F]
                                                   create a data directory (encrypted database, key file, config) and user admin
  serve  --data DIR [--port 8080] [--host 127.0.0.1] [--store postgres://…] [--mllp-port P] [--tls] [--allow-http]
                                                   run a clinic node (or a hub, with --store); --mllp-port also
                                                   receives HL7 v2 lab results (ORU^R01) over MLLP; --tls serves HTTPS
                                                   with the node's certificate (pinned by peers); plain HTTP on a
                                                   non-loopback --host needs --allow-http
  serve  … --insecure-unencrypted-dev              serve a database that is NOT encrypted (development only; logged loudly)
  import --data DIR [--store postgres://…] PATH…   import FHIR Bundles, resources, NDJSON files or folders
  demo   --data DIR [--patients N] [--seed S]      load a deterministic demo practice
  start  [--data DIR]                              first run: init + demo; then serve (what npm start does)
`;

export { UsageError };

/**
 * A command that parses its own options (its module calls `parseArgs` on `args`, throws
 * {@link UsageError} for mistakes, prints, and returns the exit code).
 */
export interface ModuleCommand {
  /** One or more lines for the usage text. */
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Commands kept in their own modules (user, token, peer, sync, audit, backup…): one line each. */
const MODULE_COMMANDS: Record<string, ModuleCommand> = {
  audit: auditCommand,
  backup: backupCommand,
  restore: restoreCommand,
  verify: verifyCommand,
  user: userCommand,
  token: tokenCommand,
  export: exportCommand,
  'downtime-kit': downtimeKitCommand,
  drill: drillCommand,
  peer: peerCommand,
  sync: syncCommand,
  rekey: rekeyCommand,
};

function usage(): string {
  const extra = Object.values(MODULE_COMMANDS).map((c) => c.usage.replace(/^/gm, '  ')).join('\n');
  return extra ? `${USAGE}${extra}\n` : USAGE;
}

/** Opens a data directory's store (kept under this name for existing callers). */
export const openNodeStore = openDataStore;

async function serve(data: string, opts: { port?: string; host?: string; store?: string; 'insecure-unencrypted-dev'?: boolean; 'mllp-port'?: string; tls?: boolean; 'allow-http'?: boolean }): Promise<number> {
  const dd = openDataDir(data);
  const port = Number(opts.port ?? dd.config.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535; got "${opts.port ?? ''}"`);
  const host = opts.host ?? dd.config.host;
  const mllpPort = opts['mllp-port'] === undefined ? undefined : Number(opts['mllp-port']);
  if (mllpPort !== undefined && !(Number.isInteger(mllpPort) && mllpPort >= 0 && mllpPort <= 65535)) throw new UsageError(`--mllp-port must be 0-65535; got "${opts['mllp-port'] ?? ''}"`);
  const tls = chooseServeTls(dd, host, { tls: opts.tls, allowHttp: opts['allow-http'] });
  let unencrypted = false;
  const store = await openNodeStore(data, opts.store, {
    insecureUnencryptedDev: opts['insecure-unencrypted-dev'],
    onInsecure: (file) => {
      unencrypted = true;
      console.error(`\n${'!'.repeat(78)}\n!! INSECURE: ${file} is NOT encrypted. Serving it only because of --insecure-unencrypted-dev.\n!! Development only: never put patient data in it. Encrypt it with: chartroom rekey --data ${data}\n${'!'.repeat(78)}\n`);
    },
  });
  const auth = openAuthService(store, readKey(dd), { settings: mfaSettings(dd.config.mfaRequiredRoles) });
  const security = await openAuditServices(store, dd.config.nodeId, dataDirSigner(dd.dir), (err) => console.error('audit trail: a batch could not be written yet (kept, retrying):', err));
  const sync = await startSync(store, dd, opts.store);
  const downtimeKit = new DowntimeKitService(dd, store.repo);
  const app = await buildApp({ https: tls.https, repo: store.repo, auth, smartApps: dd.config.smartApps, audit: security.audit, breakGlass: security.breakGlass, sync, downtimeKit, practiceName: dd.config.practiceName, logger: false, documents: { maxUploadBytes: (dd.config as { maxUploadBytes?: number }).maxUploadBytes }, bulkExport: { dir: join(dd.dir, 'exports') } });
  const address = await app.listen({ port, host });
  const mllp = mllpPort === undefined ? undefined : await startMllpListener(store.repo, { port: mllpPort, host, onError: (err) => console.error('MLLP:', err.message) });
  releaseStartupMemory();
  warmPatientDirectories(store.repo).catch((err: unknown) => console.error('patient search: the directories could not be loaded yet:', err));
  const continuity = startContinuitySchedules(dd, store.repo, console.log, downtimeKit);
  const shown = address.replace('127.0.0.1', 'localhost');
  console.log(`Chartroom node for ${dd.config.practiceName} (${opts.store ? 'PostgreSQL' : unencrypted ? 'UNENCRYPTED SQLite, development only' : 'encrypted SQLite'}) is running at ${shown}`);
  console.log(`  FHIR API:  ${shown}/fhir/R4/metadata`);
  if (tls.fingerprint) console.log(`  TLS:       certificate SHA-256 ${showFingerprint(tls.fingerprint)} (self-signed; peers pin it from the enrolment code)`);
  if (mllp) console.log(`  HL7 v2:    MLLP on ${host}:${mllp.port} (ORU^R01 lab results)`);
  console.log(`  Web app:   ${shown}/   (sign in; users: chartroom user list --data ${data})`);
  console.log(`  Scripts:   TOKEN=$(npx chartroom token create --data ${data} --user admin --scope 'system/*.read' | tail -1)`);
  console.log(`             curl -H "Authorization: Bearer $TOKEN" '${shown}/fhir/R4/Patient?name=munoz'   (accents and case do not matter)`);
  console.log('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('Stopping…');
  await continuity.stop();
  await sync.close(); // first: it releases long-polling peers, which app.close() would wait for
  await mllp?.close();
  await app.close();
  await security.close();
  await store.close();
  return 0;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  process.umask(0o077);
  const [command, ...rest] = argv;
  try {
    const moduleCommand = command === undefined ? undefined : MODULE_COMMANDS[command];
    if (moduleCommand) return await moduleCommand.run(rest);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        store: { type: 'string' },
        practice: { type: 'string' },
        patients: { type: 'string' },
        seed: { type: 'string' },
        'mllp-port': { type: 'string' },
        'insecure-unencrypted-dev': { type: 'boolean' },
        tls: { type: 'boolean' },
        'allow-http': { type: 'boolean' },
        'admin-password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (!command || command === 'help' || command === '--help' || values.help) {
      console.log(usage());
      return command ? 0 : 1;
    }
    const data = values.data;
    const needData = (): string => {
      if (!data) throw new UsageError(`chartroom ${command} needs --data DIR`);
      return data;
    };
    switch (command) {
      case 'init': {
        const dd = initDataDir(needData(), { practiceName: values.practice });
        let adminLines: string[] = [];
        // The first administrator is the trail's first privilege change (ONC (d)(2)).
        const created = await withNodeAuth(
          dd.dir,
          undefined,
          async (auth, _store, audit) => {
            adminLines = await createFirstAdmin(auth, values['admin-password-file']);
            audit.changed('first practice administrator "admin" created by chartroom init');
            return 0;
          },
          'init',
        );
        if (created !== 0) return created;
        console.log(`Created data directory ${dd.dir}`);
        console.log(`  database: ${dd.dbFile} (encrypted)`);
        console.log(envKey() ? `  key:      from ${KEY_ENV} (no key file written; keep that key safe — without it the data cannot be read)` : `  key:      ${dd.keyFile} (mode 0600; back it up apart from the database — without it the data cannot be read)`);
        for (const line of adminLines) console.log(line);
        return 0;
      }
      case 'serve':
        return await serve(needData(), values);
      case 'import':
        if (positionals.length === 0) throw new UsageError('chartroom import needs at least one PATH');
        return await runImport(needData(), positionals, values.store);
      case 'demo':
        return await runDemo(needData(), { patients: values.patients, seed: values.seed, store: values.store });
      case 'start': {
        const dir = data ?? 'data';
        if (!isDataDir(dir)) {
          if (existsSync(dir) && !isDataDir(dir)) console.log(`Using ${dir} for a new data directory.`);
          initDataDir(dir, { practiceName: 'Riverside Family & Psychiatry (demo)' });
          console.log(`First run: created data directory ${dir}; loading the demo practice…`);
          const code = await runDemo(dir, { patients: undefined, seed: undefined, store: undefined });
          if (code !== 0) return code;
          await setUpDemoUsers(dir);
        }
        const sheet = readDemoUsers(dir);
        if (sheet) console.log(`\n${sheet}`);
        return await serve(dir, { port: values.port, host: values.host });
      }
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${usage()}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof WrongKeyError || /^--store must be/.test((err as Error).message) || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`chartroom: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof KeyError || err instanceof UnencryptedDatabaseError || (err instanceof Error && /data directory|Key file|key does not/.test(err.message))) {
      console.error(`chartroom: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
