/**
 * Compiles a search parameter's FHIRPath expression, narrowed to one resource type, into a
 * direct walk over the resource JSON, when the expression stays within the subset that R4
 * search parameters mostly use: member navigation, `as T` / `ofType(T)` / `.as(T)`,
 * `where(resolve() is T)`, `where(path = literal)` and `|` unions. Anything else is left to
 * the FHIRPath interpreter of @medplum/core.
 *
 * The compiled walk reproduces exactly what `evalFhirPathTyped` returns for the same input
 * (values and FHIR type names, in the same order): element types come from the loaded
 * StructureDefinitions (`getElementDefinition`), resolved once per (input type, member) at
 * compile time, and equality, `is` and union de-duplication call Medplum's own helpers.
 * Shapes the walk does not reproduce (primitive extensions such as `_birthDate`, `null`
 * array items, input types unknown at compile time) make it give up for that value, and
 * the caller evaluates the expression with FHIRPath instead.
 */
import {
  AndAtom,
  AsAtom,
  DotAtom,
  EqualsAtom,
  FhirPathAtom,
  FunctionAtom,
  IsAtom,
  LiteralAtom,
  NotEqualsAtom,
  SymbolAtom,
  UnionAtom,
  booleanToTypedValue,
  capitalize,
  fhirPathEquals,
  fhirPathIs,
  getElementDefinition,
  isResourceType,
  removeDuplicates,
  toJsBoolean,
  toTypedValue,
} from '@medplum/core';
import type { Atom, TypedValue } from '@medplum/core';

/**
 * A compiled expression: given `[resource]`, the values FHIRPath would give, or `undefined`
 * when this instance has a shape the compiled walk does not handle (evaluate with FHIRPath
 * then). The paths compiled together for one resource type share their common steps
 * (`Observation.value`, `Observation.component`…) and remember each step's last result by the
 * identity of its input collection: pass one new, never-mutated array per resource to all of
 * them, and each shared step runs once per resource.
 */
export type CompiledPath = (input: readonly TypedValue[]) => TypedValue[] | undefined;

type Collection = TypedValue[];
type Step = (input: Collection) => Collection;
type Predicate = (item: TypedValue) => boolean;

interface Compiled {
  run: Step;
  /** The FHIR type names the step can output (statically, from the definitions). */
  types: ReadonlySet<string>;
}

/** Thrown inside a compiled walk when the instance needs the interpreter. */
class NeedsInterpreter extends Error {}
const NEEDS_INTERPRETER = new NeedsInterpreter('needs the FHIRPath interpreter');

/**
 * Medplum's `isEmpty` (undefined, null, '', an empty array or an object without own keys),
 * without allocating the key list of every object it is asked about.
 */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v === '';
  if (typeof v !== 'object') return false;
  if ('length' in v && (v as { length: number }).length > 0) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}

/** One way a member can be present on its parent: the JSON key and the FHIR type it carries. */
interface MemberChoice {
  key: string;
  extKey: string;
  type: string;
}

/**
 * The ways `member` can appear on an instance of `typeName`, as Medplum's
 * `getTypedPropertyValueWithSchema` tries them (choice types in definition order), or
 * `undefined` when the definitions do not describe it.
 */
function memberChoices(typeName: string, member: string): MemberChoice[] | undefined {
  const element = getElementDefinition(typeName, member);
  if (!element || element.type.length === 0) return undefined;
  const lastSegment = element.path.substring(element.path.lastIndexOf('.') + 1);
  const choices: MemberChoice[] = [];
  for (const t of element.type) {
    const key = lastSegment.replace('[x]', capitalize(t.code));
    let type = t.code;
    if (type === 'Element' || type === 'BackboneElement') type = element.type[0]?.code ?? type;
    // A contained resource's type is only known from the instance: leave it to FHIRPath.
    if (type === 'Resource' || type === 'DomainResource') return undefined;
    choices.push({ key, extKey: '_' + key, type });
  }
  return choices;
}

function compileMember(name: string, inTypes: ReadonlySet<string>): Compiled | undefined {
  const plans = new Map<string, MemberChoice[]>();
  const outTypes = new Set<string>();
  for (const t of inTypes) {
    const choices = memberChoices(t, name);
    if (!choices) return undefined;
    plans.set(t, choices);
    for (const c of choices) outTypes.add(c.type);
  }
  const run: Step = (input) => {
    const out: Collection = [];
    for (const item of input) {
      const v = item.value as Record<string, unknown> | null | undefined;
      if (!v || typeof v !== 'object') continue;
      if (v.resourceType === name) {
        out.push(item); // FHIRPath's SymbolAtom: a resource named by its type is itself
        continue;
      }
      const choices = plans.get(item.type);
      if (!choices) throw NEEDS_INTERPRETER;
      for (const c of choices) {
        const found = v[c.key];
        if (v[c.extKey] !== undefined) throw NEEDS_INTERPRETER; // primitive extension
        if (found === undefined) continue;
        if (isEmpty(found)) break;
        if (Array.isArray(found)) {
          for (const x of found as unknown[]) {
            if (x === undefined) continue;
            if (x === null) throw NEEDS_INTERPRETER;
            out.push({ type: c.type, value: x });
          }
        } else {
          out.push({ type: c.type, value: found });
        }
        break;
      }
    }
    return out;
  };
  return { run, types: outTypes };
}

function compileSymbol(name: string, inTypes: ReadonlySet<string>): Compiled | undefined {
  if (name.startsWith('%') || name.startsWith('$')) return undefined;
  const first = name.charAt(0);
  if (first >= 'A' && first <= 'Z') {
    // A resource type name: the root of a narrowed expression, naming the input itself.
    if (isResourceType(name) && inTypes.size === 1 && inTypes.has(name)) {
      const run: Step = (input) => {
        for (const item of input) {
          const v = item.value as { resourceType?: unknown } | null | undefined;
          if (!v || typeof v !== 'object' || v.resourceType !== name || item.type !== name) throw NEEDS_INTERPRETER;
        }
        return input;
      };
      return { run, types: inTypes };
    }
    // Another resource type's name, as in Medplum's narrowing of `Person.x | RelatedPerson.x`
    // for Person: nothing, unless the instance has a key FHIRPath would read without a schema.
    if (!isResourceType(name) || [...inTypes].some((t) => getElementDefinition(t, name))) return undefined;
    const run: Step = (input) => {
      const out: Collection = [];
      for (const item of input) {
        const v = item.value as Record<string, unknown> | null | undefined;
        if (!v || typeof v !== 'object') continue;
        if (v.resourceType === name) {
          out.push(item);
          continue;
        }
        for (const key in v) if (key.startsWith(name)) throw NEEDS_INTERPRETER;
      }
      return out;
    };
    return { run, types: inTypes };
  }
  return compileMember(name, inTypes);
}

function typeNameOf(atom: Atom | undefined): string | undefined {
  return atom instanceof SymbolAtom ? atom.name : undefined;
}

function ofType(type: string, inner: Compiled): Compiled {
  const run: Step = (input) => {
    const out: Collection = [];
    for (const item of inner.run(input)) if (item.type === type) out.push(item);
    return out;
  };
  return { run, types: new Set(inner.types.has(type) ? [type] : []) };
}

/**
 * What Medplum's `resolve()` gives for one reference, without fetching anything: the type
 * named by the reference string (`Patient/1` → Patient), or undefined.
 */
function resolveOne(item: TypedValue): TypedValue | undefined {
  const value = item.value as unknown;
  let refStr: string | undefined;
  if (typeof value === 'string') {
    refStr = value;
  } else if (typeof value === 'object') {
    if (value === null) throw NEEDS_INTERPRETER;
    const ref = value as { resource?: unknown; reference?: string; type?: string; identifier?: { system?: string; value?: string } };
    if (ref.resource) return toTypedValue(ref.resource);
    if (ref.reference) {
      refStr = ref.reference;
    } else if (ref.type && ref.identifier) {
      refStr = `${ref.type}?identifier=${ref.identifier.system}|${ref.identifier.value}`;
    }
  }
  if (typeof refStr !== 'string') {
    if (refStr !== undefined) throw NEEDS_INTERPRETER;
    return undefined;
  }
  if (refStr.includes('?')) {
    const resourceType = refStr.split('?')[0] as string;
    return { type: resourceType, value: { resourceType } };
  }
  if (refStr.includes('/')) {
    const [resourceType, id] = refStr.split('/') as [string, string];
    return { type: resourceType, value: { resourceType, id } };
  }
  return undefined;
}

function compilePredicate(atom: Atom, inTypes: ReadonlySet<string>): Predicate | undefined {
  if (atom instanceof IsAtom) {
    const type = typeNameOf(atom.right);
    const left = atom.left;
    if (!type || !(left instanceof FunctionAtom) || left.name !== 'resolve' || left.args.length !== 0) return undefined;
    return (item) => {
      const resolved = resolveOne(item);
      return resolved !== undefined && fhirPathIs(resolved, type);
    };
  }
  const criteria = compileAtom(atom, inTypes);
  return criteria && ((item) => toJsBoolean(criteria.run([item])));
}

function compileFunction(atom: FunctionAtom, inner: Compiled): Compiled | undefined {
  const args = atom.args;
  switch (atom.name) {
    case 'as':
      return inner; // Medplum's as() function returns its input unchanged
    case 'exists': {
      if (args.length !== 0) return undefined;
      const run: Step = (input) => {
        const values = inner.run(input);
        return booleanToTypedValue(values.length > 0 && values.every((e) => !isEmpty(e.value)));
      };
      return { run, types: BOOLEAN };
    }
    case 'ofType': {
      const type = args.length === 1 ? typeNameOf(args[0]) : undefined;
      return type ? ofType(type, inner) : undefined;
    }
    case 'where': {
      if (args.length !== 1) return undefined;
      const predicate = compilePredicate(args[0] as Atom, inner.types);
      if (!predicate) return undefined;
      const run: Step = (input) => {
        const out: Collection = [];
        for (const item of inner.run(input)) if (predicate(item)) out.push(item);
        return out;
      };
      return { run, types: inner.types };
    }
    default:
      return undefined;
  }
}

const BOOLEAN: ReadonlySet<string> = new Set(['boolean']);

/** FHIRPath's `=` / `!=` against a literal (fhirPathArrayEquals / fhirPathArrayNotEquals). */
function compileEquality(left: Compiled, literal: TypedValue, negate: boolean): Compiled {
  const run: Step = (input) => {
    const values = left.run(input);
    if (values.length === 0) return [];
    if (values.length !== 1) return booleanToTypedValue(negate);
    const equal = toJsBoolean(fhirPathEquals(values[0] as TypedValue, literal));
    return booleanToTypedValue(negate ? !equal : equal);
  };
  return { run, types: BOOLEAN };
}

/** FHIRPath's `and` as Medplum evaluates it: each side a single boolean or empty. */
function booleanOperand(values: Collection): boolean | undefined {
  if (values.length === 0) return undefined;
  const only = values[0] as TypedValue;
  if (values.length !== 1 || only.type !== 'boolean') throw NEEDS_INTERPRETER; // Medplum throws here
  return only.value as boolean;
}

const identity = (types: ReadonlySet<string>): Compiled => ({ run: (input) => input, types });

/** Steps already compiled in this session, by input types and expression text. */
let session: Map<string, Compiled | null> | undefined;

/** The step's last result, kept for as long as it is asked about the same input collection. */
function remember(run: Step): Step {
  let lastInput: Collection | undefined;
  let lastOutput: Collection = [];
  return (input) => {
    if (input === lastInput) return lastOutput;
    const output = run(input);
    lastInput = input;
    lastOutput = output;
    return output;
  };
}

/**
 * Compiles `atom` for inputs of `inTypes`; an identical sub-expression on the same types in the
 * same session is the same step, so its result is shared.
 */
function compileAtom(atom: Atom, inTypes: ReadonlySet<string>): Compiled | undefined {
  const key = [...inTypes].sort().join(',') + '|' + atom.toString();
  const known = session?.get(key);
  if (known !== undefined) return known ?? undefined;
  const compiled = compileAtomUncached(atom, inTypes);
  const result = compiled && { run: remember(compiled.run), types: compiled.types };
  session?.set(key, result ?? null);
  return result;
}

function compileAtomUncached(atom: Atom, inTypes: ReadonlySet<string>): Compiled | undefined {
  if (atom instanceof SymbolAtom) return compileSymbol(atom.name, inTypes);
  if (atom instanceof DotAtom) {
    const left = compileAtom(atom.left, inTypes);
    if (!left) return undefined;
    if (atom.right instanceof FunctionAtom) return compileFunction(atom.right, left);
    const right = compileAtom(atom.right, left.types);
    if (!right) return undefined;
    return { run: (input) => right.run(left.run(input)), types: right.types };
  }
  if (atom instanceof FunctionAtom) return compileFunction(atom, identity(inTypes));
  if (atom instanceof AsAtom) {
    const type = typeNameOf(atom.right);
    const left = compileAtom(atom.left, inTypes);
    return type && left ? ofType(type, left) : undefined;
  }
  if ((atom instanceof EqualsAtom || atom instanceof NotEqualsAtom) && atom.right instanceof LiteralAtom) {
    const left = compileAtom(atom.left, inTypes);
    return left ? compileEquality(left, atom.right.value, atom instanceof NotEqualsAtom) : undefined;
  }
  if (atom instanceof AndAtom) {
    const left = compileAtom(atom.left, inTypes);
    const right = left && compileAtom(atom.right, inTypes);
    if (!left || !right) return undefined;
    const run: Step = (input) => {
      const l = booleanOperand(left.run(input));
      const r = booleanOperand(right.run(input));
      if (l === true && r === true) return booleanToTypedValue(true);
      if (l === false || r === false) return booleanToTypedValue(false);
      return [];
    };
    return { run, types: BOOLEAN };
  }
  if (atom instanceof UnionAtom) {
    const left = compileAtom(atom.left, inTypes);
    const right = left && compileAtom(atom.right, inTypes);
    if (!left || !right) return undefined;
    const run: Step = (input) => {
      const all = left.run(input).concat(right.run(input));
      return all.length <= 1 ? all : removeDuplicates(all);
    };
    return { run, types: new Set([...left.types, ...right.types]) };
  }
  return undefined;
}

/**
 * Compiles the `expressions` of search parameters narrowed to `resourceType` (one session:
 * common steps are shared), each to a {@link CompiledPath}, or undefined when it is outside
 * the compiled subset.
 */
export function compileSearchPaths(expressions: readonly (FhirPathAtom | Atom)[], resourceType: string): (CompiledPath | undefined)[] {
  const outer = session;
  session = new Map();
  try {
    const rootTypes = new Set([resourceType]);
    return expressions.map((expression) => {
      const root = expression instanceof FhirPathAtom ? expression.child : expression;
      const compiled = compileAtom(root, rootTypes);
      if (!compiled) return undefined;
      const run = compiled.run;
      return (input: readonly TypedValue[]): TypedValue[] | undefined => {
        try {
          return run(input as Collection);
        } catch {
          return undefined; // NEEDS_INTERPRETER, or anything unexpected: let FHIRPath decide
        }
      };
    });
  } finally {
    session = outer;
  }
}

/** {@link compileSearchPaths} for one expression. */
export function compileSearchPath(expression: FhirPathAtom | Atom, resourceType: string): CompiledPath | undefined {
  return compileSearchPaths([expression], resourceType)[0];
}
