/**
 * Progress output of the long commands: plain periodic lines when stderr is not a
 * terminal (a log file, CI), with an injected clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressReporter } from '../src/import/progress-reporter.js';

test('without a terminal, progress is a plain line at most every interval', () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
  let now = 0;
  const bar = progressReporter({ label: 'import', total: 200, stream, intervalMs: 1000, now: () => now });
  bar.update(10, 'early');
  now = 999;
  bar.update(20, 'still early');
  now = 1000;
  bar.update(50, '50 resources');
  now = 1500;
  bar.update(150, 'too soon');
  now = 2100;
  bar.update(250, 'past the end');
  bar.stop();
  assert.deepEqual(lines, ['import: 25% 50 resources\n', 'import: 100% past the end\n']);
});
