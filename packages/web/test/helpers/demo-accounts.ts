/**
 * Sign-in for browser tests: the demo users of `chartroom start` (set up through the server's own
 * module, loaded at run time so this file does not depend on it at compile time), their TOTP codes
 * (demo users only), and an extra demo administrator with a known password. Absent module = a node
 * without accounts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USER_COMMAND = fileURLToPath(new URL('../../../server/src/cli/user-command.ts', import.meta.url));

interface AuthLike {
  accounts: { add(u: { username: string; displayName: string; role: string; password: string; demo: boolean }): Promise<{ user: { id: string } }> };
  enrolTotpDirectly(userId: string): Promise<string>;
  demoTotpCode(username: string): Promise<string>;
}
interface UserCommandModule {
  setUpDemoUsers(dir: string): Promise<string>;
  openNodeAuth(dir: string): Promise<{ store: { close(): Promise<void> }; auth: AuthLike }>;
}

export interface DemoAccounts {
  /** username → password. */
  passwords: Map<string, string>;
  /** The current second-factor code of a demo user. */
  totp(username: string): Promise<string>;
}

export const TEST_ADMIN = { username: 'web.admin', password: 'Correct-Horse-Battery-41' };

async function load(): Promise<UserCommandModule | undefined> {
  if (!existsSync(USER_COMMAND)) return undefined;
  return (await import(pathToFileURL(USER_COMMAND).href)) as UserCommandModule;
}

/** Creates the demo users and the test administrator on a data directory (before it is served). */
export async function setUpDemoAccounts(data: string): Promise<DemoAccounts | undefined> {
  const mod = await load();
  if (!mod) return undefined;
  const sheet = await mod.setUpDemoUsers(data);
  const passwords = new Map<string, string>();
  for (const m of sheet.matchAll(/^ {2}([a-z][\w.-]+) +(demo-\S+) /gm)) if (m[1] && m[2]) passwords.set(m[1], m[2]);
  const { store, auth } = await mod.openNodeAuth(data);
  try {
    const { user } = await auth.accounts.add({ username: TEST_ADMIN.username, displayName: 'Web Test Admin', role: 'admin', password: TEST_ADMIN.password, demo: true });
    await auth.enrolTotpDirectly(user.id);
    passwords.set(TEST_ADMIN.username, TEST_ADMIN.password);
  } finally {
    await store.close();
  }
  return {
    passwords,
    async totp(username) {
      const { store, auth } = await mod.openNodeAuth(data);
      try {
        return await auth.demoTotpCode(username);
      } finally {
        await store.close();
      }
    },
  };
}

/** Where the data directory's demo sheet is (for messages). */
export function demoSheet(data: string): string {
  return join(data, 'demo-users.txt');
}
