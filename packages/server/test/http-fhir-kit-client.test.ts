/**
 * A real FHIR client (fhir-kit-client) against a node LISTENING on 127.0.0.1: create, read,
 * update, search, POST _search, paging by next links, delete, and errors as OperationOutcomes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';
import type { FastifyInstance } from 'fastify';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { FHIR_BASE, buildApp } from '../src/http/app.js';
import { sqliteTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { randomBytes } from 'node:crypto';
import { openAuthService } from '../src/security/open-auth-service.js';

interface ClientError {
  response: { status: number; data: OperationOutcome };
}

async function rejection(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (err) {
    return err as ClientError;
  }
  assert.fail('the request should have failed');
}

describe('fhir-kit-client against a listening node', () => {
  let store: TestStore;
  let app: FastifyInstance;
  let client: Client;
  let baseUrl: string;
  const ids: string[] = [];

  before(async () => {
    store = await sqliteTestStore();
    const auth = openAuthService(store, randomBytes(32).toString('hex'));
    // A backend-service token (system/*.*): this suite is about the client, not about roles.
    const { user } = await auth.accounts.add({ username: 'kit', role: 'admin', password: randomBytes(18).toString('base64url') });
    const { token } = await auth.tokens.create(user.id, { scopes: ['system/*.*'] });
    app = await buildApp({ repo: store.repo, auth });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `${address}${FHIR_BASE}`;
    client = new Client({ baseUrl, bearerToken: token });
  });
  after(async () => {
    await app.close();
    await store.dispose();
  });

  it('is refused without a bearer token (401 OperationOutcome)', async () => {
    const anonymous = new Client({ baseUrl });
    const err = await rejection(anonymous.search({ resourceType: 'Patient', searchParams: { name: 'x' } }));
    assert.equal(err.response.status, 401);
    assert.equal(err.response.data.resourceType, 'OperationOutcome');
  });

  it('creates and reads patients', async () => {
    for (let i = 0; i < 25; i++) {
      const created = (await client.create({
        resourceType: 'Patient',
        body: { resourceType: 'Patient', name: [{ family: 'Kitclient', given: [`P${String(i).padStart(2, '0')}`] }] },
      })) as Patient;
      assert.ok(created.id);
      assert.match(created.meta?.versionId ?? '', /^1-/);
      ids.push(created.id);
    }
    const read = (await client.read({ resourceType: 'Patient', id: ids[7]! })) as Patient;
    assert.equal(read.name?.[0]?.given?.[0], 'P07');
  });

  it('updates with a new version and reads the old one back', async () => {
    const id = ids[0]!;
    const v1 = (await client.read({ resourceType: 'Patient', id })) as Patient;
    const v2 = (await client.update({ resourceType: 'Patient', id, body: { ...v1, gender: 'unknown' } })) as Patient;
    assert.match(v2.meta?.versionId ?? '', /^2-/);
    const old = (await client.vread({ resourceType: 'Patient', id, version: v1.meta?.versionId ?? '' })) as Patient;
    assert.equal(old.gender, undefined);
  });

  it('pages through 25 matches with _count=10 by next links: 3 pages, every id once', async () => {
    let page = await client.search({ resourceType: 'Patient', searchParams: { family: 'Kitclient', _count: 10 } });
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      pages++;
      const bundle = page as unknown as Bundle;
      assert.equal(bundle.resourceType, 'Bundle');
      seen.push(...(bundle.entry ?? []).map((e) => e.resource?.id ?? ''));
      const next = client.nextPage({ bundle: page as typeof page & { link: { relation: string; url: string }[] } });
      if (!next) break;
      page = await next;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.deepEqual([...seen].sort(), [...ids].sort());
  });

  it('searches by POST _search with the same answer as GET', async () => {
    const searchParams = { family: 'kitclient', given: 'P1', _count: 50 };
    const get = (await client.search({ resourceType: 'Patient', searchParams })) as unknown as Bundle;
    const post = (await client.search({ resourceType: 'Patient', searchParams, options: { postSearch: true } })) as unknown as Bundle;
    const names = (b: Bundle) => (b.entry ?? []).map((e) => (e.resource as Patient).name?.[0]?.given?.[0]).sort();
    assert.deepEqual(names(get), ['P10', 'P11', 'P12', 'P13', 'P14', 'P15', 'P16', 'P17', 'P18', 'P19']);
    assert.deepEqual(names(post), names(get));
  });

  it('deletes, then reads as 410 Gone with an OperationOutcome', async () => {
    const id = ids[24]!;
    await client.delete({ resourceType: 'Patient', id });
    const err = await rejection(client.read({ resourceType: 'Patient', id }));
    assert.equal(err.response.status, 410);
    assert.equal(err.response.data.resourceType, 'OperationOutcome');
    assert.equal(err.response.data.issue[0]?.code, 'deleted');
  });

  it('bad input comes back as a 4xx OperationOutcome', async () => {
    const bad = await rejection(client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: 'tomorrow' } }));
    assert.equal(bad.response.status, 400);
    assert.deepEqual(bad.response.data.issue[0]?.expression, ['Patient.birthDate']);
    const search = await rejection(client.search({ resourceType: 'Patient', searchParams: { birthdate: 'soon' } }));
    assert.equal(search.response.status, 400);
    assert.deepEqual(search.response.data.issue[0]?.expression, ['birthdate']);
  });
});
