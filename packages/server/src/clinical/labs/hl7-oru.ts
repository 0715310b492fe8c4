/**
 * Reads HL7 v2 ORU^R01 (unsolicited observation result) messages with the maintained
 * parser of `@medplum/core` (`Hl7Message`) and checks them segment by segment. Every
 * problem is reported with the segment, its position and the field
 * (https://www.hl7.org/implement/standards/product_brief.cfm?product_id=185, chapter 7).
 */
import { Hl7Field, Hl7Message, parseHl7DateTime } from '@medplum/core';
import type { Hl7Segment } from '@medplum/core';
import { isFlag } from './result-flags.js';
import type { Flag } from './result-flags.js';
import { parseRangeText } from './result-assessment.js';
import type { GivenRange } from './result-assessment.js';

/** A problem in one segment of a message. */
export interface Hl7SegmentError {
  /** Segment name (`OBX`), or `MSH` for problems with the message as a whole. */
  segment: string;
  /** 1-based position of the segment in the message. */
  position: number;
  /** Field, e.g. `OBX-5`. */
  field?: string;
  message: string;
  /** HL7 table 0357 error code (101 required field missing, 102 data type error, 103 table value not found, 200 unsupported message type, 204 unknown key). */
  code: '100' | '101' | '102' | '103' | '200' | '204' | '207';
}

export interface CodedValue {
  code: string;
  display?: string;
  /** FHIR system URI (`http://loinc.org` for v2 `LN`). */
  system?: string;
}

export interface OruObservation {
  position: number;
  setId: string;
  valueType: string;
  code: CodedValue;
  /** The LOINC code (primary or alternate identifier), when there is one. */
  loinc?: string;
  value?: { kind: 'number'; value: number; comparator?: '<' | '<=' | '>=' | '>' } | { kind: 'string'; value: string } | { kind: 'coded'; value: CodedValue };
  unit: string;
  range?: GivenRange;
  flag?: Flag;
  /** OBX-11 result status (F, C, P, X…). */
  status: string;
  effective?: string;
  notes: string[];
}

export interface OruOrder {
  position: number;
  setId: string;
  placerId: string;
  fillerId: string;
  code: CodedValue;
  effective?: string;
  issued?: string;
  status: string;
  orderingProvider?: ProviderRef;
  observations: OruObservation[];
  notes: string[];
}

export interface ProviderRef {
  id: string;
  family?: string;
  given?: string;
}

export interface OruPatient {
  /** PID-3 identifiers (MRNs). */
  identifiers: { value: string; assigner?: string; type?: string }[];
  family?: string;
  given?: string;
  birthDate?: string;
}

export interface OruMessage {
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
  sent?: string;
  version: string;
  patient: OruPatient;
  orders: OruOrder[];
}

export interface OruParse {
  /** Set when the message has no errors. */
  message?: OruMessage;
  /** MSH-10, when it could be read (for the ACK). */
  controlId?: string;
  /** The parsed message, when the text was an HL7 message at all (for the ACK). */
  hl7?: Hl7Message;
  errors: Hl7SegmentError[];
}

const SYSTEMS: Record<string, string> = {
  LN: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  SNM: 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
};

const STATUSES = new Set(['F', 'C', 'P', 'R', 'I', 'S', 'X', 'W', 'D', 'U', 'O', 'A', 'N']);
const VALUE_TYPES = new Set(['NM', 'SN', 'ST', 'TX', 'FT', 'CE', 'CWE']);
const DTM = /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$/;
const NM = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** A field of a segment; an absent trailing field reads as empty. */
function fld(seg: Hl7Segment, index: number): Hl7Field {
  // getField answers undefined past the last field, whatever its declared type says.
  return (seg.getField(index) as Hl7Field | undefined) ?? new Hl7Field([['']], seg.context);
}

function coded(field: Hl7Field, rep = 0): CodedValue | undefined {
  const code = field.getComponent(1, undefined, rep);
  if (!code) return undefined;
  const display = field.getComponent(2, undefined, rep);
  const sys = field.getComponent(3, undefined, rep);
  const out: CodedValue = { code };
  if (display) out.display = display;
  if (sys) out.system = SYSTEMS[sys] ?? `urn:chartroom:hl7v2-coding-system:${sys}`;
  return out;
}

/** The LOINC code of a CE/CWE field: the identifier when coded `LN`, else the alternate (components 4–6). */
function loincOf(field: Hl7Field): string | undefined {
  if (field.getComponent(3) === 'LN') return field.getComponent(1);
  if (field.getComponent(6) === 'LN') return field.getComponent(4) || undefined;
  return undefined;
}

/**
 * Splits the text of a `.hl7` file into messages: segments separated by CR, LF or CRLF,
 * MLLP framing characters and batch envelopes (FHS, BHS, BTS, FTS) removed, a new message at
 * each MSH. Returns each message's text and the line it starts on; text before the first MSH
 * is an error.
 */
export function splitHl7Messages(text: string): { messages: { text: string; line: number }[]; errors: { line: number; message: string }[] } {
  const lines = text.replace(/^\uFEFF/, '').replaceAll('\u000b', '').replaceAll('\u001c', '') /* MLLP framing left in files saved from a feed */.split(/\r\n|\r|\n/);
  const messages: { text: string; line: number; segments: string[] }[] = [];
  const errors: { line: number; message: string }[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!line.trim()) return;
    if (/^(FHS|BHS|BTS|FTS)\|/.test(line)) return;
    if (line.startsWith('MSH')) messages.push({ text: '', line: i + 1, segments: [line] });
    else {
      const cur = messages[messages.length - 1];
      if (cur) cur.segments.push(line);
      else if (errors.length === 0) errors.push({ line: i + 1, message: `text before the first MSH segment: "${line.slice(0, 40)}"` });
    }
  });
  return { messages: messages.map((m) => ({ text: m.segments.join('\r'), line: m.line })), errors };
}

/** Parses an HL7 date/time (DTM) to an ISO date-time; undefined when absent, an error string when malformed. */
function dateTime(value: string, tzOffset: string | undefined): string | undefined | { error: string } {
  if (!value) return undefined;
  if (!DTM.test(value)) return { error: `"${value}" is not an HL7 date/time (YYYYMMDD[HHMM[SS]][+/-ZZZZ])` };
  const month = Number(value.slice(4, 6) || '1');
  const day = Number(value.slice(6, 8) || '1');
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(value.slice(8, 10) || '0') > 23 || Number(value.slice(10, 12) || '0') > 59) {
    return { error: `"${value}" is not a valid date/time` };
  }
  return parseHl7DateTime(value, tzOffset ? { tzOffset } : undefined);
}

export interface OruParseOptions {
  /** Time zone of date/times without an offset, e.g. `-0500` (default: UTC). */
  tzOffset?: string;
}

/** Parses and checks one ORU^R01 message; `errors` is empty when it can be filed. */
export function parseOru(text: string, options: OruParseOptions = {}): OruParse {
  const errors: Hl7SegmentError[] = [];
  let hl7: Hl7Message;
  try {
    hl7 = Hl7Message.parse(text);
  } catch (err) {
    return { errors: [{ segment: 'MSH', position: 1, message: `not an HL7 v2 message: ${(err as Error).message}`, code: '100' }] };
  }
  const segs = hl7.segments;
  const msh = segs[0];
  if (!msh || msh.name !== 'MSH') return { errors: [{ segment: msh?.name ?? '?', position: 1, message: 'the message does not start with MSH', code: '100' }], hl7 };
  const controlId = fld(msh, 10).toString();
  const err = (seg: Hl7Segment, position: number, field: string | undefined, message: string, code: Hl7SegmentError['code']): void => {
    errors.push({ segment: seg.name, position, ...(field ? { field } : {}), message, code });
  };
  if (!controlId) err(msh, 1, 'MSH-10', 'message control id is missing', '101');
  const type = `${fld(msh, 9).getComponent(1)}^${fld(msh, 9).getComponent(2)}`;
  if (type !== 'ORU^R01') err(msh, 1, 'MSH-9', `message type ${type} is not supported (only ORU^R01)`, '200');
  const when = (v: string, seg: Hl7Segment, position: number, field: string): string | undefined => {
    const d = dateTime(v, options.tzOffset);
    if (typeof d === 'object') {
      err(seg, position, field, d.error, '102');
      return undefined;
    }
    return d;
  };
  const sent = when(fld(msh, 7).toString(), msh, 1, 'MSH-7');

  let patient: OruPatient | undefined;
  const orders: OruOrder[] = [];
  let last: { notes: string[] } | undefined;
  let orderProvider: ProviderRef | undefined;
  segs.forEach((seg, i) => {
    const position = i + 1;
    switch (seg.name) {
      case 'MSH':
        if (i > 0) err(seg, position, undefined, 'a second MSH inside one message', '100');
        break;
      case 'PID': {
        if (patient) {
          err(seg, position, undefined, 'more than one PID in one message (one patient per message)', '100');
          break;
        }
        const f = fld(seg, 3);
        const identifiers: OruPatient['identifiers'] = [];
        for (let r = 0; r < f.components.length; r++) {
          const value = f.getComponent(1, undefined, r);
          if (!value) continue;
          const id: OruPatient['identifiers'][number] = { value };
          const assigner = f.getComponent(4, undefined, r);
          const type = f.getComponent(5, undefined, r);
          if (assigner) id.assigner = assigner;
          if (type) id.type = type;
          identifiers.push(id);
        }
        if (identifiers.length === 0) err(seg, position, 'PID-3', 'patient identifier (MRN) is missing', '101');
        patient = { identifiers };
        const family = fld(seg, 5).getComponent(1);
        const given = fld(seg, 5).getComponent(2);
        if (family) patient.family = family;
        if (given) patient.given = given;
        const birth = fld(seg, 7).toString();
        if (birth) {
          const d = when(birth, seg, position, 'PID-7');
          if (d) patient.birthDate = d.slice(0, 10);
        }
        last = undefined;
        break;
      }
      case 'ORC': {
        const p = fld(seg, 12);
        if (p.getComponent(1)) orderProvider = provider(p);
        break;
      }
      case 'OBR': {
        if (!patient) err(seg, position, undefined, 'OBR before PID', '100');
        const code = coded(fld(seg, 4));
        if (!code) err(seg, position, 'OBR-4', 'universal service identifier (the test ordered) is missing', '101');
        const order: OruOrder = {
          position,
          setId: fld(seg, 1).toString() || String(orders.length + 1),
          placerId: fld(seg, 2).getComponent(1),
          fillerId: fld(seg, 3).getComponent(1),
          code: code ?? { code: '' },
          status: fld(seg, 25).toString() || 'F',
          observations: [],
          notes: [],
        };
        const effective = when(fld(seg, 7).toString(), seg, position, 'OBR-7');
        if (effective) order.effective = effective;
        const issued = when(fld(seg, 22).toString(), seg, position, 'OBR-22');
        if (issued) order.issued = issued;
        const p = fld(seg, 16);
        if (p.getComponent(1)) order.orderingProvider = provider(p);
        else if (orderProvider) order.orderingProvider = orderProvider;
        if (order.status && !STATUSES.has(order.status)) err(seg, position, 'OBR-25', `result status "${order.status}" is not in HL7 table 0123`, '103');
        orders.push(order);
        last = order;
        break;
      }
      case 'OBX': {
        const order = orders[orders.length - 1];
        if (!order) {
          err(seg, position, undefined, 'OBX before any OBR', '100');
          break;
        }
        const obx = readObx(seg, position, err, when);
        if (obx) {
          order.observations.push(obx);
          last = obx;
        } else last = undefined;
        break;
      }
      case 'NTE': {
        const comment = fld(seg, 3).components.map((c) => c.join('&')).join('~');
        if (last && comment) last.notes.push(comment);
        break;
      }
      default:
        // PV1, SPM, NK1, TQ1, CTI, Z-segments…: not needed to file the result.
        break;
    }
  });
  if (!patient) errors.push({ segment: 'PID', position: segs.length, message: 'the message has no PID segment (the patient)', code: '101' });
  if (orders.length === 0) errors.push({ segment: 'OBR', position: segs.length, message: 'the message has no OBR segment (no result)', code: '101' });
  const out: OruParse = { errors, hl7, ...(controlId ? { controlId } : {}) };
  if (errors.length === 0 && patient) {
    out.message = {
      controlId,
      sendingApplication: fld(msh, 3).getComponent(1),
      sendingFacility: fld(msh, 4).getComponent(1),
      version: fld(msh, 12).toString(),
      patient,
      orders,
      ...(sent ? { sent } : {}),
    };
  }
  return out;
}

function provider(f: Hl7Field): ProviderRef {
  const p: ProviderRef = { id: f.getComponent(1) };
  if (f.getComponent(2)) p.family = f.getComponent(2);
  if (f.getComponent(3)) p.given = f.getComponent(3);
  return p;
}

type ErrFn = (seg: Hl7Segment, position: number, field: string | undefined, message: string, code: Hl7SegmentError['code']) => void;
type WhenFn = (v: string, seg: Hl7Segment, position: number, field: string) => string | undefined;

function readObx(seg: Hl7Segment, position: number, err: ErrFn, when: WhenFn): OruObservation | undefined {
  const before = { n: 0 };
  const e: ErrFn = (...a) => {
    before.n++;
    err(...a);
  };
  const valueType = fld(seg, 2).toString();
  if (!valueType) e(seg, position, 'OBX-2', 'value type is missing', '101');
  else if (!VALUE_TYPES.has(valueType)) e(seg, position, 'OBX-2', `value type "${valueType}" is not supported (NM, SN, ST, TX, FT, CE, CWE)`, '103');
  const code = coded(fld(seg, 3));
  if (!code) e(seg, position, 'OBX-3', 'observation identifier (the test) is missing', '101');
  const status = fld(seg, 11).toString();
  if (!status) e(seg, position, 'OBX-11', 'result status is missing', '101');
  else if (!STATUSES.has(status)) e(seg, position, 'OBX-11', `result status "${status}" is not in HL7 table 0085`, '103');
  const raw = fld(seg, 5);
  const text = raw.toString();
  let value: OruObservation['value'];
  if (!text) {
    if (status !== 'X' && status !== 'D' && status !== 'W') e(seg, position, 'OBX-5', 'observation value is missing', '101');
  } else if (valueType === 'NM') {
    if (!NM.test(text.trim())) e(seg, position, 'OBX-5', `"${text}" is not a number (value type NM)`, '102');
    else value = { kind: 'number', value: Number(text.trim()) };
  } else if (valueType === 'SN') {
    const comparator = raw.getComponent(1);
    const num = raw.getComponent(2);
    const sep = raw.getComponent(3);
    if (sep || raw.getComponent(4)) e(seg, position, 'OBX-5', `structured numeric "${text}" with a ratio or range is not supported`, '102');
    else if (!NM.test(num.trim())) e(seg, position, 'OBX-5', `"${text}" is not a structured numeric value`, '102');
    else if (comparator && !['<', '<=', '>', '>=', '='].includes(comparator)) e(seg, position, 'OBX-5', `comparator "${comparator}" is not one of <, <=, >, >=, =`, '102');
    else {
      value = { kind: 'number', value: Number(num.trim()) };
      if (comparator && comparator !== '=') value.comparator = comparator as '<' | '<=' | '>' | '>=';
    }
  } else if (valueType === 'CE' || valueType === 'CWE') {
    const c = coded(raw);
    if (c) value = { kind: 'coded', value: c };
    else e(seg, position, 'OBX-5', 'coded value has no code', '102');
  } else if (valueType) {
    value = { kind: 'string', value: raw.components.map((c) => c.join('&')).join('~') };
  }
  const unit = fld(seg, 6).getComponent(1);
  const rangeText = fld(seg, 7).toString();
  const range = rangeText ? parseRangeText(rangeText) : undefined;
  if (range?.low !== undefined && range.high !== undefined && range.low > range.high) {
    e(seg, position, 'OBX-7', `reference range "${rangeText}" has its low limit above its high limit`, '102');
  }
  const flagText = fld(seg, 8).toString();
  let flag: Flag | undefined;
  if (flagText) {
    if (isFlag(flagText)) flag = flagText;
    else if (flagText === '<' || flagText === '>') flag = flagText === '<' ? 'L' : 'H';
    else e(seg, position, 'OBX-8', `abnormal flag "${flagText}" is not supported (L, H, LL, HH, N, A, AA, LU, HU)`, '103');
  }
  const effective = when(fld(seg, 14).toString(), seg, position, 'OBX-14');
  if (before.n > 0 || !code) return undefined;
  const obx: OruObservation = {
    position,
    setId: fld(seg, 1).toString(),
    valueType,
    code,
    unit,
    status,
    notes: [],
  };
  const loinc = loincOf(fld(seg, 3));
  if (loinc) obx.loinc = loinc;
  if (value) obx.value = value;
  if (range) obx.range = range;
  if (flag) obx.flag = flag;
  if (effective) obx.effective = effective;
  return obx;
}

/** A one-line report of a message's errors: `OBX[4] OBX-5: "abc" is not a number`. */
export function formatSegmentErrors(errors: readonly Hl7SegmentError[]): string {
  return errors.map((e) => `${e.segment}[${e.position}]${e.field ? ` ${e.field}` : ''}: ${e.message}`).join('; ');
}
