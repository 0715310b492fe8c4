/**
 * The body of a validation thread: loads the R4 definitions once, then, for each batch
 * offered, claims chunks from the back (skipping those the writer or another thread
 * claimed) and answers each with the same verdicts the writer would reach.
 */
import { parentPort } from 'node:worker_threads';
import { loadDefinitions } from '../fhir/load-definitions.js';
import { FREE, validationVerdict } from './validation-pool.js';
import type { ValidationReply, ValidationRequest } from './validation-pool.js';

const port = parentPort;
if (!port) throw new Error('validation-worker-main.ts runs only as a worker thread');
loadDefinitions();
port.on('message', (msg: ValidationRequest) => {
  for (let k = msg.chunks.length - 1; k >= 0; k--) {
    if (Atomics.compareExchange(msg.claims, k, FREE, msg.me) !== FREE) continue;
    let reply: ValidationReply;
    try {
      reply = { batch: msg.batch, chunk: k, verdicts: (JSON.parse(msg.chunks[k] as string) as unknown[]).map(validationVerdict) };
    } catch (err) {
      reply = { batch: msg.batch, chunk: k, failure: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  }
});
port.postMessage({ ready: true } satisfies ValidationReply);
