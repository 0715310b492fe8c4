/**
 * An MLLP listener for lab feeds: each ORU^R01 message received is filed (all-or-nothing,
 * oru-filing.ts) and answered with an ACK — `AA` when filed or already filed, `AE` with one
 * ERR segment per problem when refused, `AR` when the message type is not ORU^R01 or the
 * text is not a message. Framing and connections come from `@medplum/hl7`
 * (https://www.hl7.org/documentcenter/public/wg/inm/mllp_transport_specification.PDF).
 */
import net from 'node:net';
import { Hl7Connection } from '@medplum/hl7';
import { Hl7Segment } from '@medplum/core';
import type { Hl7Message } from '@medplum/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { fileOruMessage } from './oru-filing.js';
import type { OruFiling, OruFilingOptions } from './oru-filing.js';
import type { Hl7SegmentError } from './hl7-oru.js';

export interface MllpListener {
  /** The port listened on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export interface MllpOptions extends OruFilingOptions {
  port: number;
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string;
  /** Called after each message (for logs). */
  onMessage?: (filing: OruFiling) => void;
  /** Called when a connection fails (for logs). */
  onError?: (err: Error) => void;
}

/** Text safe inside one HL7 field (separators and escape replaced by spaces). */
function fieldText(text: string): string {
  return text.replace(/[|^~\\&\r\n]/g, ' ');
}

/** An ERR segment (v2.5: ERR-2 location, ERR-3 HL7 error code, ERR-4 severity, ERR-8 user message). */
function errSegment(e: Hl7SegmentError): Hl7Segment {
  const field = e.field ? (e.field.split('-')[1] ?? '') : '';
  const text: Record<Hl7SegmentError['code'], string> = {
    '100': 'Segment sequence error',
    '101': 'Required field missing',
    '102': 'Data type error',
    '103': 'Table value not found',
    '200': 'Unsupported message type',
    '204': 'Unknown key identifier',
    '207': 'Application internal error',
  };
  return new Hl7Segment(['ERR', '', `${e.segment}^${e.position}${field ? `^${field}` : ''}`, `${e.code}^${text[e.code]}^HL70357`, 'E', '', '', '', fieldText(e.message)]);
}

/** The ACK for a filing of `message`. */
export function ackFor(message: Hl7Message, filing: OruFiling): Hl7Message {
  const reject = filing.errors.some((e) => e.code === '200' || (e.code === '100' && e.position === 1));
  const ackCode = filing.status === 'rejected' ? (reject ? 'AR' : 'AE') : 'AA';
  const ack = message.buildAck({ ackCode });
  for (const e of filing.errors) ack.setSegment(ack.segments.length, errSegment(e));
  return ack;
}

/** Starts listening; messages of one connection are filed in the order they arrive. */
export async function startMllpListener(repo: FhirRepository, options: MllpOptions): Promise<MllpListener> {
  const connections = new Set<Hl7Connection>();
  const server = net.createServer((socket) => {
    const conn = new Hl7Connection(socket);
    connections.add(conn);
    let queue = Promise.resolve();
    conn.addEventListener('close', () => connections.delete(conn));
    conn.addEventListener('error', (ev) => options.onError?.(ev.error));
    conn.addEventListener('message', (ev) => {
      queue = queue.then(async () => {
        let filing: OruFiling;
        try {
          filing = await fileOruMessage(repo, ev.message.toString(), options);
        } catch (err) {
          options.onError?.(err as Error);
          filing = { status: 'rejected', errors: [{ segment: 'MSH', position: 1, message: 'the message could not be stored; nothing was filed', code: '207' }], reports: [], observations: [], written: {} };
        }
        options.onMessage?.(filing);
        if (!conn.isClosed()) conn.send(ackFor(ev.message, filing));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: async () => {
      await Promise.all([...connections].map((c) => c.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
