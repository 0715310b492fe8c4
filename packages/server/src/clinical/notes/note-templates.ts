/**
 * Note templates: the built-in ones (SOAP, psychiatric evaluation, medication management,
 * psychotherapy note, phone note, letter) and the practice's own, kept as FHIR Basic
 * resources (code `note-template`) with the definition in extensions. A section's starting
 * text may hold smart fields — {{medications}}, {{allergies}}, {{problems}}, {{vitals}},
 * {{patient.name}}, {{patient.age}}, {{today}} — filled from the chart when a note is started.
 * See https://hl7.org/fhir/R4/basic.html
 */
import type { Basic, Extension } from '@medplum/fhirtypes';
import { badRequest, notFound } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { readAllOfType } from '../patients/chart-queries.js';
import type { ChartSummary } from '../chart-summary/chart-summary.js';

export const TEMPLATE_CODE_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/basic-kind';
export const TEMPLATE_DEFINITION_URL = 'https://chartroom.dev/fhir/StructureDefinition/note-template-definition';

export const SMART_FIELDS = ['medications', 'allergies', 'problems', 'vitals', 'patient.name', 'patient.age', 'today'] as const;

export interface TemplateSection {
  key: string;
  title: string;
  /** Starting text; may contain smart fields such as {{medications}}. */
  text?: string;
}

export interface NoteTemplate {
  id: string;
  title: string;
  kind: 'clinical' | 'psychotherapy' | 'phone' | 'letter';
  /** Psychotherapy notes carry the PSYTHPN label (author-only access). */
  psychotherapy: boolean;
  /** LOINC document type. */
  loinc: { code: string; display: string };
  sections: TemplateSection[];
  builtIn: boolean;
}

const PROGRESS = { code: '11506-3', display: 'Progress note' };
const NOTE = { code: '34109-9', display: 'Note' };

/** The templates every practice starts with. */
export const BUILT_IN_TEMPLATES: readonly NoteTemplate[] = [
  {
    id: 'soap',
    title: 'SOAP note',
    kind: 'clinical',
    psychotherapy: false,
    loinc: PROGRESS,
    builtIn: true,
    sections: [
      { key: 'subjective', title: 'Subjective', text: '' },
      { key: 'objective', title: 'Objective', text: 'Vitals: {{vitals}}' },
      { key: 'assessment', title: 'Assessment', text: 'Problems: {{problems}}' },
      { key: 'plan', title: 'Plan', text: 'Medications: {{medications}}' },
    ],
  },
  {
    id: 'psychiatric-evaluation',
    title: 'Psychiatric evaluation',
    kind: 'clinical',
    psychotherapy: false,
    loinc: PROGRESS,
    builtIn: true,
    sections: [
      { key: 'chief-complaint', title: 'Chief complaint', text: '' },
      { key: 'hpi', title: 'History of present illness', text: '' },
      { key: 'psychiatric-history', title: 'Past psychiatric history', text: '' },
      { key: 'substance-use', title: 'Substance use', text: '' },
      { key: 'medications', title: 'Current medications', text: '{{medications}}' },
      { key: 'allergies', title: 'Allergies', text: '{{allergies}}' },
      { key: 'mental-status', title: 'Mental status examination', text: '' },
      { key: 'risk', title: 'Risk assessment', text: '' },
      { key: 'diagnosis', title: 'Diagnosis', text: '{{problems}}' },
      { key: 'plan', title: 'Plan', text: '' },
    ],
  },
  {
    id: 'medication-management',
    title: 'Medication management',
    kind: 'clinical',
    psychotherapy: false,
    loinc: PROGRESS,
    builtIn: true,
    sections: [
      { key: 'interval-history', title: 'Interval history', text: '' },
      { key: 'medications', title: 'Current medications', text: '{{medications}}' },
      { key: 'side-effects', title: 'Adherence and side effects', text: '' },
      { key: 'mental-status', title: 'Mental status', text: '' },
      { key: 'vitals', title: 'Vitals', text: '{{vitals}}' },
      { key: 'assessment', title: 'Assessment', text: '{{problems}}' },
      { key: 'plan', title: 'Plan', text: '' },
    ],
  },
  {
    id: 'psychotherapy',
    title: 'Psychotherapy note',
    kind: 'psychotherapy',
    psychotherapy: true,
    loinc: PROGRESS,
    builtIn: true,
    sections: [
      { key: 'session', title: 'Session content', text: '' },
      { key: 'interventions', title: 'Interventions', text: '' },
      { key: 'response', title: 'Response', text: '' },
      { key: 'plan', title: 'Plan', text: '' },
    ],
  },
  {
    id: 'phone',
    title: 'Telephone note',
    kind: 'phone',
    psychotherapy: false,
    loinc: NOTE,
    builtIn: true,
    sections: [
      { key: 'caller', title: 'Caller and reason', text: '' },
      { key: 'discussion', title: 'Discussion', text: '' },
      { key: 'advice', title: 'Advice and follow-up', text: '' },
    ],
  },
  {
    id: 'letter',
    title: 'Letter',
    kind: 'letter',
    psychotherapy: false,
    loinc: NOTE,
    builtIn: true,
    sections: [
      { key: 'recipient', title: 'To', text: '' },
      { key: 'body', title: 'Letter', text: 'Re: {{patient.name}}, age {{patient.age}}\n\n' },
      { key: 'closing', title: 'Closing', text: 'Sincerely,' },
    ],
  },
];

function sub(e: Extension, url: string): Extension[] {
  return (e.extension ?? []).filter((x) => x.url === url);
}

/** A practice template from its Basic resource. */
export function templateFromBasic(b: Basic): NoteTemplate | undefined {
  const def = b.extension?.find((e) => e.url === TEMPLATE_DEFINITION_URL);
  if (!def || !b.id) return undefined;
  const title = sub(def, 'title')[0]?.valueString ?? 'Note';
  const kind = (sub(def, 'kind')[0]?.valueCode ?? 'clinical') as NoteTemplate['kind'];
  const psychotherapy = sub(def, 'psychotherapy')[0]?.valueBoolean === true;
  return {
    id: b.id,
    title,
    kind,
    psychotherapy,
    loinc: kind === 'phone' || kind === 'letter' ? NOTE : PROGRESS,
    builtIn: false,
    sections: sub(def, 'section').map((s) => ({
      key: sub(s, 'key')[0]?.valueString ?? '',
      title: sub(s, 'title')[0]?.valueString ?? '',
      text: sub(s, 'text')[0]?.valueString ?? '',
    })),
  };
}

/** Checks a template sent by a client; a 400 naming the bad field. */
export function validateTemplate(input: unknown): Omit<NoteTemplate, 'id' | 'builtIn' | 'loinc'> {
  if (typeof input !== 'object' || input === null) throw badRequest('The body must be a template: title, kind, sections');
  const t = input as { title?: unknown; kind?: unknown; psychotherapy?: unknown; sections?: unknown };
  if (typeof t.title !== 'string' || !t.title.trim() || t.title.length > 120) throw badRequest('title is required (at most 120 characters)', 'title');
  const kind = t.kind ?? 'clinical';
  if (!['clinical', 'psychotherapy', 'phone', 'letter'].includes(kind as string)) throw badRequest('kind must be clinical, psychotherapy, phone or letter', 'kind');
  if (t.psychotherapy !== undefined && typeof t.psychotherapy !== 'boolean') throw badRequest('psychotherapy must be true or false', 'psychotherapy');
  if (!Array.isArray(t.sections) || !t.sections.length || t.sections.length > 40) throw badRequest('sections must list 1 to 40 sections', 'sections');
  const keys = new Set<string>();
  const sections = t.sections.map((s: unknown, i) => {
    const x = (s ?? {}) as { key?: unknown; title?: unknown; text?: unknown };
    if (typeof x.key !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(x.key)) throw badRequest(`sections[${i}].key must be lower-case letters, digits and dashes`, `sections[${i}].key`);
    if (keys.has(x.key)) throw badRequest(`sections[${i}].key "${x.key}" is used twice`, `sections[${i}].key`);
    keys.add(x.key);
    if (typeof x.title !== 'string' || !x.title.trim()) throw badRequest(`sections[${i}].title is required`, `sections[${i}].title`);
    if (x.text !== undefined && typeof x.text !== 'string') throw badRequest(`sections[${i}].text must be text`, `sections[${i}].text`);
    for (const m of (x.text ?? '').matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!SMART_FIELDS.includes(m[1] as (typeof SMART_FIELDS)[number])) throw badRequest(`sections[${i}].text uses an unknown smart field {{${m[1] ?? ''}}}; known: ${SMART_FIELDS.join(', ')}`, `sections[${i}].text`);
    }
    return { key: x.key, title: x.title.trim(), text: x.text ?? '' };
  });
  return { title: t.title.trim(), kind: kind as NoteTemplate['kind'], psychotherapy: t.psychotherapy === true || kind === 'psychotherapy', sections };
}

function toBasic(t: Omit<NoteTemplate, 'id' | 'builtIn' | 'loinc'>, id?: string): Basic {
  return {
    resourceType: 'Basic',
    ...(id ? { id } : {}),
    code: { coding: [{ system: TEMPLATE_CODE_SYSTEM, code: 'note-template', display: 'Note template' }], text: 'Note template' },
    extension: [
      {
        url: TEMPLATE_DEFINITION_URL,
        extension: [
          { url: 'title', valueString: t.title },
          { url: 'kind', valueCode: t.kind },
          { url: 'psychotherapy', valueBoolean: t.psychotherapy },
          ...t.sections.map((s) => ({
            url: 'section',
            extension: [{ url: 'key', valueString: s.key }, { url: 'title', valueString: s.title }, ...(s.text ? [{ url: 'text', valueString: s.text }] : [])],
          })),
        ],
      },
    ],
  };
}

/** The practice's note templates over one repository. */
export class NoteTemplates {
  constructor(private readonly repo: FhirRepository) {}

  /** Built-in templates, then the practice's. */
  async list(): Promise<NoteTemplate[]> {
    const basics = await readAllOfType<Basic>(this.repo, 'Basic', 5000);
    const own = basics.filter((b) => b.code.coding?.some((c) => c.system === TEMPLATE_CODE_SYSTEM && c.code === 'note-template')).map(templateFromBasic);
    return [...BUILT_IN_TEMPLATES, ...own.filter((t): t is NoteTemplate => !!t).sort((a, b) => a.title.localeCompare(b.title))];
  }

  /** One template by id; 400 naming `field` when unknown. */
  async get(id: unknown, field = 'template'): Promise<NoteTemplate> {
    if (typeof id !== 'string' || !id) throw badRequest(`${field} is required: a note template id`, field);
    const builtIn = BUILT_IN_TEMPLATES.find((t) => t.id === id);
    if (builtIn) return builtIn;
    const v = /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? await this.repo.readCurrent('Basic', id) : undefined;
    const t = v && !v.deleted ? templateFromBasic(JSON.parse(v.json) as Basic) : undefined;
    if (!t) throw badRequest(`${field} "${id}" is not a note template`, field);
    return t;
  }

  /** Adds a practice template. */
  async create(input: unknown): Promise<NoteTemplate> {
    const t = validateTemplate(input);
    const v = await this.repo.create(toBasic(t));
    return templateFromBasic(JSON.parse(v.json) as Basic) as NoteTemplate;
  }

  /** Edits a practice template (built-in ones cannot be edited; copy them instead). */
  async update(id: string, input: unknown): Promise<NoteTemplate> {
    if (BUILT_IN_TEMPLATES.some((t) => t.id === id)) throw badRequest(`"${id}" is a built-in template; create a practice template instead`, 'id');
    const t = validateTemplate(input);
    const v = await this.repo.readCurrent('Basic', id);
    if (!v || v.deleted || !templateFromBasic(JSON.parse(v.json) as Basic)) throw notFound(`Note template ${id} not found`);
    const { version } = await this.repo.update(toBasic(t, id), { ifMatch: v.rev });
    return templateFromBasic(JSON.parse(version.json) as Basic) as NoteTemplate;
  }
}

/** Fills a template's smart fields from a chart summary. */
export function fillSmartFields(text: string, chart: ChartSummary, today: string): string {
  const list = (items: string[], none: string): string => (items.length ? items.join('; ') : none);
  const values: Record<(typeof SMART_FIELDS)[number], string> = {
    medications: list(chart.medications.map((m) => [m.name, m.dosage].filter(Boolean).join(' — ')), 'no active medications'),
    allergies: list(chart.allergies.map((a) => [a.substance, a.reactions.length ? `(${a.reactions.join(', ')})` : ''].filter(Boolean).join(' ')), 'no known allergies'),
    problems: list(chart.problems.map((p) => `${p.display ?? ''}${p.code ? ` (${p.code})` : ''}`), 'no active problems'),
    vitals: list(
      chart.vitals.map((v) =>
        v.components?.length
          ? `${v.display ?? ''} ${v.components.map((c) => c.value).join('/')} ${v.components[0]?.unit ?? ''}`.trim()
          : `${v.display ?? ''} ${v.value ?? ''} ${v.unit ?? ''}`.trim(),
      ),
      'no vitals recorded',
    ),
    'patient.name': chart.patient.name,
    'patient.age': chart.patient.age === undefined ? '' : String(chart.patient.age),
    today,
  };
  return text.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (all, name: string) => values[name as (typeof SMART_FIELDS)[number]] ?? all);
}
