/**
 * Revision ids `<generation>-<hash>` (ARCHITECTURE §4, after CouchDB): the hash covers the
 * parent revision and the canonical content, so the same edit on two nodes gives the same
 * id. Used as `meta.versionId` and the ETag (https://hl7.org/fhir/R4/http.html#versioning).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Resource } from '@medplum/fhirtypes';
import { canonicalJson } from './canonical-json.js';

/** A revision id such as `3-9f2c…`. */
export type RevisionId = string & { readonly __brand: 'RevisionId' };

const REVISION_PATTERN = /^([1-9][0-9]{0,8})-([0-9a-f]{32})$/;

/** True when `value` has the form of a revision id. */
export function isRevisionId(value: string): value is RevisionId {
  return REVISION_PATTERN.test(value);
}

/** The generation (1 for a first version) of a revision id. */
export function generationOf(rev: RevisionId): number {
  return Number.parseInt(rev.slice(0, rev.indexOf('-')), 10);
}

/** Content as hashed: the resource without the server-set `meta.versionId` and `meta.lastUpdated`. */
export function hashableContent(resource: Resource): Resource {
  if (!resource.meta) return resource;
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta;
  const copy = { ...resource } as Resource;
  if (Object.keys(meta).length > 0) copy.meta = meta;
  else delete copy.meta;
  return copy;
}

/**
 * Computes the revision id of `resource` written as a child of `parent` (undefined for a
 * first revision); `deleted` marks a tombstone.
 */
export function computeRevision(parent: RevisionId | undefined, resource: Resource, deleted = false): RevisionId {
  const generation = parent ? generationOf(parent) + 1 : 1;
  const text = (parent ?? '') + '\n' + (deleted ? 'deleted' : '') + '\n' + canonicalJson(hashableContent(resource));
  const hash = bytesToHex(sha256(utf8ToBytes(text))).slice(0, 32);
  return `${generation}-${hash}` as RevisionId;
}

/**
 * Orders leaf revisions so that the winner comes first: non-deleted before deleted, then
 * higher generation, then the higher revision id. Every node picks the same winner.
 */
export function compareLeaves(a: { rev: RevisionId; deleted: boolean }, b: { rev: RevisionId; deleted: boolean }): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  const ga = generationOf(a.rev);
  const gb = generationOf(b.rev);
  if (ga !== gb) return gb - ga;
  return a.rev < b.rev ? 1 : a.rev > b.rev ? -1 : 0;
}
