/**
 * `chartroom token create|list|revoke`: bearer tokens with SMART-style scopes for scripts and
 * FHIR apps. `create` prints the token alone on its last line, for scripts:
 * `TOKEN=$(chartroom token create --data DIR --user admin --scope 'system/*.read' | tail -1)`.
 */
import { parseArgs } from 'node:util';
import { parseLifetime } from '../security/api-tokens.js';
import type { TokenInfo } from '../security/api-tokens.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';
import { withNodeAuth } from './user-command.js';

const USAGE_LINES = [
  "token create --data DIR --user U --scope S [--scope S…] [--expires 30d] [--label L]   scopes: user/*.read, user/Patient.write, system/*.read, system/*.* …",
  'token list   --data DIR [--user U]',
  'token revoke --data DIR ID',
];

function tokenLine(t: TokenInfo, username: string): string {
  const state = t.revokedAt ? 'REVOKED' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'EXPIRED' : 'active';
  return `${t.id}  ${username.padEnd(14)} ${state.padEnd(8)} ${t.scopes.join(' ')}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}${t.label ? `  "${t.label}"` : ''}`;
}

/** The `token` command. */
export const tokenCommand: ModuleCommand = {
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
        user: { type: 'string' },
        scope: { type: 'string', multiple: true },
        expires: { type: 'string' },
        label: { type: 'string' },
      },
    });
    switch (sub) {
      case 'create':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          if (!values.user) throw new UsageError('chartroom token create needs --user USERNAME');
          if (!values.scope?.length) throw new UsageError("chartroom token create needs --scope, e.g. --scope 'user/*.read'");
          const user = await auth.accounts.find(values.user);
          if (user.disabled) throw new UsageError(`${user.username} is disabled`);
          const lifetimeMs = values.expires ? parseLifetime(values.expires) : undefined;
          const { token, info } = await auth.tokens.create(user.id, { scopes: values.scope ?? [], label: values.label, lifetimeMs });
          audit.changed(`API token ${info.id} created for ${user.username}: ${info.scopes.join(' ')}${info.expiresAt ? `, expires ${info.expiresAt}` : ', no expiry'}`, user.id);
          console.log(`Token ${info.id} for ${user.username}: ${info.scopes.join(' ')}${info.expiresAt ? `, expires ${info.expiresAt}` : ', no expiry'}. It is shown only now:`);
          console.log(token);
          return 0;
        }, 'token create');
      case 'list':
        return withNodeAuth(values.data, values.store, async (auth) => {
          const users = new Map((await auth.accounts.list()).map((u) => [u.id as string, u.username]));
          const only = values.user ? (await auth.accounts.find(values.user)).id : undefined;
          for (const t of await auth.tokens.list(only)) console.log(tokenLine(t, users.get(t.userId) ?? t.userId));
          return 0;
        });
      case 'revoke':
        return withNodeAuth(values.data, values.store, async (auth, _store, audit) => {
          const id = positionals[0];
          if (!id) throw new UsageError('chartroom token revoke needs the token ID (see chartroom token list)');
          const t = await auth.tokens.revoke(id);
          audit.changed(`API token ${t.id} revoked`, t.userId);
          console.log(`Revoked token ${t.id}.`);
          return 0;
        }, 'token revoke');
      default:
        throw new UsageError(`Usage:\n${USAGE_LINES.map((l) => `  chartroom ${l}`).join('\n')}`);
    }
  },
};
