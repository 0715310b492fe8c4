// The background checkpointer's thread (see checkpointer.ts). Plain JavaScript: worker threads
// do not inherit the tsx loader the main thread was started with.
import { parentPort, workerData } from 'node:worker_threads';
import { clearTimeout, setTimeout } from 'node:timers';
import Database from 'better-sqlite3-multiple-ciphers';

const { file, keyHex, intervalMs } = workerData;
const db = new Database(file);
if (keyHex) {
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${keyHex}'"`);
}
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = FULL');

let stopping = false;
let timer;

function checkpointOnce() {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (row && row.checkpointed > 0) parentPort.postMessage({ type: 'checkpointed', frames: row.checkpointed, log: row.log });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

function loop() {
  if (stopping) return;
  checkpointOnce();
  timer = setTimeout(loop, intervalMs);
}

parentPort.on('message', (msg) => {
  if (msg === 'stop') {
    stopping = true;
    clearTimeout(timer);
    db.close();
    parentPort.close();
  } else if (msg === 'now') {
    checkpointOnce();
    parentPort.postMessage({ type: 'done' });
  }
});

timer = setTimeout(loop, intervalMs);
parentPort.postMessage({ type: 'ready' });
