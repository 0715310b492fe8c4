/**
 * Referential integrity of a set of resources: every `Reference.reference` must be a
 * `Type/id` of a resource in the set or a local `#id` of a contained resource
 * (https://hl7.org/fhir/R4/references.html). Used to check imports and the demo practice.
 */
import { parseLiteralReference } from './rewrite-references.js';

/** Every `reference` string in a resource, contained resources included. */
export function referencesOf(resource: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'reference' && typeof value === 'string') out.push(value);
      else if (value !== null && typeof value === 'object') walk(value);
    }
  };
  walk(resource);
  return out;
}

/** A reference that points at nothing in the set. */
export interface DanglingReference {
  from: string;
  reference: string;
}

/**
 * The references in `resources` that do not resolve inside the set: neither `Type/id` of
 * a member (a `/_history/…` suffix allowed) nor `#id` of one of the resource's contained resources.
 */
export function danglingReferences(resources: Iterable<{ resourceType: string; id?: string; contained?: unknown }>): DanglingReference[] {
  const list = [...resources];
  const keys = new Set(list.map((r) => `${r.resourceType}/${r.id ?? ''}`));
  const out: DanglingReference[] = [];
  for (const r of list) {
    const contained = new Set(
      (Array.isArray(r.contained) ? (r.contained as { id?: unknown }[]) : []).map((c) => `#${String(c.id)}`),
    );
    for (const ref of referencesOf(r)) {
      if (ref.startsWith('#')) {
        if (ref === '#' || contained.has(ref)) continue;
      } else {
        const literal = parseLiteralReference(ref);
        if (literal && keys.has(`${literal.type}/${literal.id}`)) continue;
      }
      out.push({ from: `${r.resourceType}/${r.id ?? ''}`, reference: ref });
    }
  }
  return out;
}
