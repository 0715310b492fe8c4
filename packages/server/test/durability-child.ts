/**
 * Child process of durability.test.ts: opens an encrypted SQLite store and creates
 * patients with several concurrent writers (so writes share group commits) until it is
 * killed. After each acknowledged write it prints one line: `ack <id> <n> <rev>`.
 *   node --import tsx durability-child.ts FILE KEY_HEX WRITERS
 */
import { openStore } from '../src/store/open-store.js';

const [file, keyHex, writersArg] = process.argv.slice(2);
if (!file || !keyHex) throw new Error('usage: durability-child.ts FILE KEY_HEX [WRITERS]');
const store = await openStore({ kind: 'sqlite', file, keyHex });
const start = Number(process.env.DURABILITY_START ?? 0);
let next = start;
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: Number(writersArg ?? 4) }, async () => {
    for (;;) {
      const n = next++;
      const v = await store.repo.create({
        resourceType: 'Patient',
        identifier: [{ system: 'urn:chartroom:durability', value: String(n) }],
        name: [{ family: `Durable-${n}`, given: ['Kill', 'Nine'] }],
      });
      // A pipe write is synchronous on Linux: the line is in the pipe before the next write starts.
      process.stdout.write(`ack ${v.id} ${n} ${v.rev}\n`);
    }
  }),
);
