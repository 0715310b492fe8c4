/**
 * `chartroom user add|list|disable|enable|reset-password|set-role|reset-mfa|totp-code`: the
 * accounts of a node, from its data directory (the same operations as the admin API). Also
 * the first administrator of `chartroom init` and the demo users of `chartroom start`.
 */
import { parseArgs } from 'node:util';
import { hostname, userInfo } from 'node:os';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutcomeError } from '@chartroom/core';
import { openDataDir, readKey } from '../data-dir.js';
import { openDataStore } from './open-data-store.js';
import type { Store } from '../store/open-store.js';
import { openAuthService } from '../security/open-auth-service.js';
import type { AuthService } from '../security/auth-service.js';
import type { UserInfo } from '../security/accounts.js';
import { createDemoUsers } from '../security/demo-users.js';
import type { DemoCredential } from '../security/demo-users.js';
import { AuditLog } from '../security/audit-log.js';
import { dataDirSigner } from '../security/audit-signing.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The auth service of a data directory's store (or of the PostgreSQL store at `storeUrl`), keyed by the data directory's key. */
export async function openNodeAuth(data: string, storeUrl?: string): Promise<{ store: Store; auth: AuthService }> {
  const dd = openDataDir(data);
  const store = await openDataStore(data, storeUrl);
  return { store, auth: openAuthService(store, readKey(dd)) };
}

/** What a command that changes accounts or tokens tells the audit trail. */
export interface CliAudit {
  /** Records a privilege change (ONC (d)(2)): what was done, to which user. */
  changed(description: string, userId?: string): void;
}

/** Who ran a command, as far as the operating system says (no Chartroom user signs in to the CLI). */
function operatingSystemUser(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return `${name}@${hostname()}`;
}

/**
 * Runs a command body with the node's auth service; OperationOutcome errors print as one line
 * (exit 1). With `command` (e.g. `user add`), the node's audit trail is opened: what the body
 * reports through `audit.changed` — and a refused attempt — becomes a privilege-change event
 * in the node's hash chain, like the same change through the admin API, and the chain head is
 * signed before the command exits.
 */
export async function withNodeAuth(data: string | undefined, storeUrl: string | undefined, fn: (auth: AuthService, store: Store, audit: CliAudit) => Promise<number>, command?: string): Promise<number> {
  if (!data) throw new UsageError('this command needs --data DIR');
  const { store, auth } = await openNodeAuth(data, storeUrl);
  let log: AuditLog | undefined;
  const by = `command line (chartroom ${command ?? ''}, OS user ${operatingSystemUser()})`;
  const audit: CliAudit = {
    changed: (description, userId) => log?.record({ action: 'privilege-change', description: `${description} — ${by}`, resources: userId ? [`User/${userId}`] : [], address: 'local' }),
  };
  try {
    if (command !== undefined) {
      const dd = openDataDir(data);
      log = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: dd.config.nodeId, signer: dataDirSigner(dd.dir) });
    }
    return await fn(auth, store, audit);
  } catch (err) {
    if (err instanceof OutcomeError || err instanceof UsageError) {
      log?.record({ action: 'privilege-change', outcome: err instanceof OutcomeError && err.outcome.issue[0]?.code === 'forbidden' ? 'denied' : 'failed', description: `chartroom ${command ?? ''} refused: ${err.message} — ${by}`, address: 'local', severity: 'high' });
    }
    if (err instanceof OutcomeError) {
      console.error(`chartroom: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    try {
      await log?.close();
    } finally {
      await store.close();
    }
  }
}

function userLine(u: UserInfo): string {
  const flags = [u.disabled ? 'DISABLED' : '', u.mfaEnrolled ? 'mfa' : '', u.mustChangePassword ? 'must-change-password' : ''].filter(Boolean).join(',');
  return `${u.username.padEnd(16)} ${u.role.padEnd(11)} ${u.displayName.padEnd(28)} ${u.id}${u.practitionerId ? `  Practitioner/${u.practitionerId}` : ''}${flags ? `  [${flags}]` : ''}`;
}

/** Creates the first administrator `admin` (one-time password printed, or the password in `passwordFile`). */
export async function createFirstAdmin(auth: AuthService, passwordFile?: string): Promise<string[]> {
  if (await auth.accounts.rowByUsername('admin')) return ['User admin already exists; nothing changed.'];
  if (passwordFile !== undefined) {
    const password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    await auth.accounts.add({ username: 'admin', displayName: 'Practice administrator', role: 'admin', password });
    return [`  admin:    user "admin" (practice administrator) with the password from ${passwordFile}; set up a second factor at first sign-in`];
  }
  const { oneTimePassword } = await auth.accounts.add({ username: 'admin', displayName: 'Practice administrator', role: 'admin' });
  return [
    `  admin:    user "admin" (practice administrator), one-time password: ${oneTimePassword ?? ''}`,
    '            change it at first sign-in (then set up a second factor); it is shown only now',
  ];
}

const DEMO_FILE = 'demo-users.txt';

/** The demo users' sign-in sheet (also kept in DIR/demo-users.txt, mode 0600). */
export function demoUsersText(dir: string, creds: readonly DemoCredential[]): string {
  const lines = [
    'Demo users (one per role; passwords generated for this data directory):',
    '',
    ...creds.map((c) => `  ${c.username.padEnd(12)} ${c.password.padEnd(18)} ${c.role.padEnd(10)} ${c.displayName} — ${c.note}${c.otpauthUri ? ' [MFA]' : ''}`),
    '',
    'Users marked [MFA] also need a 6-digit code. Either add them to an authenticator app',
    '(otpauth URIs below; any TOTP app accepts them), or, for this demo only, print the current code:',
    `  npx chartroom user totp-code --data ${dir} dr.okafor`,
    '',
    ...creds.filter((c) => c.otpauthUri).map((c) => `  ${c.username.padEnd(12)} ${c.otpauthUri ?? ''}`),
  ];
  return lines.join('\n') + '\n';
}

/** Creates the demo users of a freshly loaded demo practice and writes DIR/demo-users.txt. */
export async function setUpDemoUsers(dir: string): Promise<string> {
  const { store, auth } = await openNodeAuth(dir);
  try {
    const creds = await createDemoUsers(auth, store.repo);
    const text = demoUsersText(dir, creds);
    const file = join(openDataDir(dir).dir, DEMO_FILE);
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
    return text;
  } finally {
    await store.close();
  }
}

/** The demo users' sheet of a data directory, if it has one. */
export function readDemoUsers(dir: string): string | undefined {
  const file = join(openDataDir(dir).dir, DEMO_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

const USAGE_LINES = [
  'user add            --data DIR USERNAME --role ROLE [--name NAME] [--practitioner ID] [--password-file F]',
  'user list           --data DIR',
  'user disable|enable --data DIR USERNAME',
  'user reset-password --data DIR USERNAME            new one-time password (to change at next sign-in)',
  'user set-role       --data DIR USERNAME ROLE       roles: admin, clinician, nurse, front-desk, billing',
  'user reset-mfa      --data DIR USERNAME            remove the second factor (the user enrols again)',
  'user totp-code      --data DIR USERNAME            current TOTP code of a DEMO user',
];

/** The `user` command. */
export const userCommand: ModuleCommand = {
  usage: USAGE_LINES.join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        store: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        practitioner: { type: 'string' },
        'password-file': { type: 'string' },
      },
    });
    const name = (): string => {
      const n = positionals[0];
      if (!n) throw new UsageError(`chartroom user ${sub ?? ''} needs USERNAME`);
      return n;
    };
    switch (sub) {
      case 'add':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          if (!values.role) throw new UsageError('chartroom user add needs --role ROLE');
          const password = values['password-file'] ? readFileSync(values['password-file'], 'utf8').replace(/\r?\n$/, '') : undefined;
          const r = await auth.accounts.add({ username: name(), role: values.role as never, displayName: values.name, practitionerId: values.practitioner, password });
          audit.changed(`user ${r.user.username} added with role ${r.user.role}${r.user.practitionerId ? ` (Practitioner/${r.user.practitionerId})` : ''}`, r.user.id);
          console.log(`Added ${userLine(r.user)}`);
          if (r.oneTimePassword) console.log(`One-time password (to change at first sign-in; shown only now): ${r.oneTimePassword}`);
          return 0;
        }, 'user add');
      case 'list':
        return withNodeAuth(values.data, values.store, async (auth) => {
          for (const u of await auth.accounts.list()) console.log(userLine(u));
          return 0;
        });
      case 'disable':
      case 'enable':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          const u = await auth.accounts.find(name());
          const r = sub === 'disable' ? await auth.accounts.disable(u.id) : await auth.accounts.enable(u.id);
          audit.changed(`user ${r.username} ${sub === 'disable' ? 'disabled (sessions and tokens ended)' : 'enabled'}`, r.id);
          console.log(`${sub === 'disable' ? 'Disabled (sessions ended)' : 'Enabled'}: ${userLine(r)}`);
          return 0;
        }, `user ${sub}`);
      case 'reset-password':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          const r = await auth.accounts.resetPassword((await auth.accounts.find(name())).id);
          audit.changed(`password of ${r.user.username} reset to a one-time password (sessions ended)`, r.user.id);
          console.log(`New one-time password for ${r.user.username} (sessions ended; to change at next sign-in):`);
          console.log(r.oneTimePassword);
          return 0;
        }, 'user reset-password');
      case 'set-role':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          const role = positionals[1] ?? values.role;
          if (!role) throw new UsageError('chartroom user set-role needs USERNAME ROLE');
          const before = await auth.accounts.find(name());
          const r = await auth.accounts.setRole(before.id, role);
          audit.changed(`role of ${r.username} changed from ${before.role} to ${r.role} (sessions ended)`, r.id);
          console.log(`Role changed (sessions ended): ${userLine(r)}`);
          return 0;
        }, 'user set-role');
      case 'reset-mfa':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          const u = await auth.accounts.find(name());
          await auth.disableTotp(u.id);
          await auth.sessions.endAll(u.id, 'second factor reset');
          audit.changed(`second factor of ${u.username} removed (sessions ended)`, u.id);
          console.log(`Second factor removed for ${u.username} (sessions ended); they set it up again at next sign-in.`);
          return 0;
        }, 'user reset-mfa');
      case 'totp-code':
        return withNodeAuth(values.data, values.store, async (auth) => {
          console.log(await auth.demoTotpCode(name()));
          return 0;
        });
      default:
        throw new UsageError(`Usage:\n${USAGE_LINES.map((l) => `  chartroom ${l}`).join('\n')}`);
    }
  },
};
