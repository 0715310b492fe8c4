/**
 * `.hl7` files in `chartroom import`: each ORU^R01 message of the file is filed on its own
 * (all-or-nothing per message, see oru-filing.ts); a rejected message becomes one import
 * issue per segment error, naming the message's line and the segment; a message already
 * filed counts as skipped.
 */
import { readFile } from 'node:fs/promises';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { ImportIssue } from '../../import/import-types.js';
import { fileHl7Text } from './oru-filing.js';
import type { OruFilingOptions } from './oru-filing.js';

/** True for a file name read as HL7 v2 messages. */
export function isHl7Name(path: string): boolean {
  return /\.hl7$/i.test(path);
}

/** Where the results of a `.hl7` import are reported. */
export interface Hl7ImportSink {
  stored(type: string, count: number): void;
  issue(issue: ImportIssue): void;
  skipped(): void;
}

/** Files the messages of one `.hl7` file and reports them to `sink`. */
export async function importHl7File(repo: FhirRepository, path: string, sink: Hl7ImportSink, options: OruFilingOptions = {}): Promise<void> {
  const result = await fileHl7Text(repo, await readFile(path, 'utf8'), options);
  for (const e of result.fileErrors) sink.issue({ file: path, where: `line ${e.line}`, message: e.message });
  result.messages.forEach((m, i) => {
    const where = `message ${i + 1} (line ${m.line}${m.controlId ? `, MSH-10 ${m.controlId}` : ''})`;
    if (m.status === 'duplicate') sink.skipped();
    for (const [type, n] of Object.entries(m.written)) sink.stored(type, n);
    for (const e of m.errors) {
      sink.issue({ file: path, where: `${where} ${e.segment}[${e.position}]${e.field ? ` ${e.field}` : ''}`, message: `${e.message} (message not filed)` });
    }
  });
}
