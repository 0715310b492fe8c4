/**
 * The transport-free request and response of the FHIR router. HTTP adapters build a
 * {@link FhirRequest} and send the {@link FhirResponse}; nothing here knows Fastify.
 */
import type { Principal, QueryParams } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';

export interface FhirRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';
  /** Path below the FHIR base, without leading slash, e.g. `Patient/123/_history/2`. */
  path: string;
  query: QueryParams;
  body?: unknown;
  /** Absolute base URL of the FHIR endpoint, used in Location headers and fullUrls. */
  baseUrl: string;
  ifMatch?: string | undefined;
  ifNoneExist?: string | undefined;
  ifNoneMatch?: string | undefined;
  prefer?: string | undefined;
  /** Who asks (set by the HTTP layer after authentication); absent means the node itself (CLI, demo, sync apply). */
  principal?: Principal | undefined;
}

export interface FhirResponse {
  status: number;
  /** A resource object, or resource JSON already serialised. */
  body?: unknown;
  /** True when `body` is a string holding JSON. */
  raw?: boolean;
  headers?: Record<string, string>;
}

/** The router's signature: one request against one repository. */
export type FhirHandler = (req: FhirRequest, repo: FhirRepository) => Promise<FhirResponse>;
