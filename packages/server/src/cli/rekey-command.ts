/**
 * `chartroom rekey --data DIR [--store postgres://…]`: a new database key for a node (stop
 * `serve` first; the command refuses while another process holds the database). See
 * security/rekey.ts for what changes.
 */
import { parseArgs } from 'node:util';
import { DatabaseInUseError, rekeyDataDir } from '../security/rekey.js';
import { KEY_ENV } from '../data-dir.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The `rekey` command. */
export const rekeyCommand: ModuleCommand = {
  usage: 'rekey   --data DIR [--store postgres://…]         new database key (stop serve first); old key kept as KEYFILE.old-TIME',
  async run(args) {
    const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, store: { type: 'string' } } });
    if (!values.data) throw new UsageError('chartroom rekey needs --data DIR');
    if (values.store !== undefined && !/^postgres(ql)?:\/\//.test(values.store)) throw new UsageError(`--store must be a postgres:// URL; got "${values.store}"`);
    try {
      const r = await rekeyDataDir(values.data, { storeUrl: values.store });
      for (const d of r.databases) console.log(`${d.was === 'already-rekeyed' ? 'Already on the new key' : d.was === 'unencrypted' ? 'Encrypted (was NOT encrypted)' : 'Re-encrypted'}: ${d.file}`);
      const c = r.credentials;
      console.log(`Credentials: ${c.resealed} sealed secret(s) re-sealed; ${c.sessionsEnded} session(s) ended (everyone signs in again); ${c.tokensRevoked} API token(s) revoked (issue new ones with chartroom token create); ${c.devicesForgotten} trusted device(s) forgotten.`);
      if (c.usersWithRecoveryCodes.length) console.log(`Recovery codes cleared for: ${c.usersWithRecoveryCodes.join(', ')} (their authenticator codes still work; chartroom user reset-mfa gives new recovery codes at the next enrolment).`);
      console.log(`New key: ${r.keyFile} (mode 0600).`);
      if (r.oldKeyFile) console.log(`Old key kept as ${r.oldKeyFile}: backups taken before today need it (chartroom verify|restore --key ${r.oldKeyFile}). Take a new backup now, and delete the old key once the old backups have expired.`);
      if (r.fromEnvironment) console.log(`The old key came from ${KEY_ENV}: put the new key (the content of ${r.keyFile}) there before the next start, then remove the file if the environment is where the key lives.`);
      return 0;
    } catch (err) {
      if (err instanceof DatabaseInUseError) {
        console.error(`chartroom: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};
