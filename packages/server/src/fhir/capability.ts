/**
 * The CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html): generated from
 * the same definitions the server indexes, so it lists exactly what is supported.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { searchParamsFor, supportedResourceTypes } from '@chartroom/core';

const COMMON_SEARCH = [
  { name: '_id', type: 'token' as const },
  { name: '_lastUpdated', type: 'date' as const },
];

let cached: CapabilityStatement | undefined;

/** Builds (once) the server's CapabilityStatement. */
export function capabilityStatement(version: string): CapabilityStatement {
  if (cached) return cached;
  const resource: CapabilityStatementRestResource[] = supportedResourceTypes().map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    interaction: ['read', 'vread', 'update', 'delete', 'history-instance', 'history-type', 'create', 'search-type'].map((code) => ({
      code: code as 'read',
    })),
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    searchParam: [
      ...COMMON_SEARCH,
      ...[...searchParamsFor(type).values()].map((p) => ({ name: p.code, type: p.type, definition: p.url, documentation: p.description })),
    ],
    ...(type === 'Patient'
      ? {
          operation: [
            { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
            { name: 'summary', definition: 'http://hl7.org/fhir/uv/ips/OperationDefinition/summary' },
            { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
          ],
        }
      : type === 'Group'
        ? { operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }] }
        : {}),
  }));
  cached = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-25',
    kind: 'instance',
    software: { name: 'Chartroom', version },
    implementation: { description: 'Chartroom clinic node' },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }],
      },
    ],
  };
  return cached;
}
