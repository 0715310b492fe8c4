/**
 * `headExtends`: the pure check a hub runs on each new signed audit head a node sends — it
 * must be signed by the node's key and the events since the previous head must link the
 * previous head's hash to the new one, so history the hub saw signed cannot be rewritten.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, chainHash, headExtends } from '../src/security/audit-chain.js';
import type { ChainRow, HeadRow } from '../src/security/audit-chain.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import type { AuditSigner } from '../src/security/audit-signing.js';

const NODE = 'node-a';

function chain(n: number, tag = ''): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = JSON.stringify({ id: `${NODE}-${seq}`, action: 'read', note: `${tag}${seq}` });
    const hash = chainHash(prev, content);
    rows.push({ node_id: NODE, seq, content, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

function head(signer: AuditSigner, rows: readonly ChainRow[], seq: number): HeadRow {
  const hash = rows[seq - 1]?.hash ?? '';
  return { node_id: NODE, seq, hash, public_key: signer.publicKeyPem, signature: signer.signHead(NODE, seq, hash) };
}

describe('audit headExtends (hub check of a new signed head)', () => {
  const signer = ephemeralSigner();
  const rows = chain(10);
  const h4 = head(signer, rows, 4);
  const h10 = head(signer, rows, 10);

  it('accepts the first head from genesis with the enrolment key, and a later head with the events between', () => {
    assert.deepEqual(headExtends(undefined, h4, rows.slice(0, 4), [signer.publicKeyPem]), { ok: true, problems: [] });
    assert.deepEqual(headExtends(h4, h10, rows.slice(4, 10)), { ok: true, problems: [] });
  });

  it('accepts the same head sent again with no events', () => {
    assert.equal(headExtends(h10, h10, []).ok, true);
  });

  it('refuses a first head without a trusted key, and a head signed by another key', () => {
    assert.equal(headExtends(undefined, h4, rows.slice(0, 4)).problems[0]?.problem, 'unknown-key');
    const other = ephemeralSigner();
    const r = headExtends(h4, head(other, rows, 10), rows.slice(4, 10));
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]?.problem, 'unknown-key');
  });

  it('refuses a forged signature', () => {
    const forged = { ...h10, signature: h4.signature };
    assert.equal(headExtends(h4, forged, rows.slice(4, 10)).problems[0]?.problem, 'bad-signature');
  });

  it('refuses a head behind the previous one, or the same seq with another hash', () => {
    assert.equal(headExtends(h10, h4, []).problems[0]?.problem, 'regressed');
    const rewritten = chain(10, 'x');
    const r = headExtends(h10, head(signer, rewritten, 10), []);
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]?.problem, 'head-mismatch');
  });

  it('refuses a rewritten history re-signed with the node key (does not link to the previous head)', () => {
    const rewritten = chain(10, 'x');
    const r = headExtends(h4, head(signer, rewritten, 10), rewritten.slice(4, 10));
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]?.problem, 'broken-link');
    assert.equal(r.problems[0]?.seq, 5);
  });

  it('refuses missing, reordered, edited and foreign events, and events that stop short of the head', () => {
    const between = rows.slice(4, 10);
    assert.equal(headExtends(h4, h10, [...between.slice(0, 2), ...between.slice(3)]).problems[0]?.problem, 'missing');
    const swapped = [between[0], between[2], between[1], ...between.slice(3)] as ChainRow[];
    assert.equal(headExtends(h4, h10, swapped).problems[0]?.problem, 'missing');
    const edited = between.map((e) => (e.seq === 7 ? { ...e, content: e.content.replace('"read"', '"update"') } : e));
    const r = headExtends(h4, h10, edited);
    assert.equal(r.problems[0]?.problem, 'edited');
    assert.equal(r.problems[0]?.seq, 7);
    assert.equal(headExtends(h4, h10, between.map((e) => (e.seq === 6 ? { ...e, node_id: 'node-b' } : e))).problems[0]?.problem, 'inserted');
    assert.equal(headExtends(h4, h10, between.slice(0, 5)).problems[0]?.problem, 'missing');
  });

  it('refuses events sent with a head that did not move, and a head of another node', () => {
    assert.equal(headExtends(h10, h10, rows.slice(9, 10)).problems[0]?.problem, 'inserted');
    const b = ephemeralSigner();
    const hb: HeadRow = { ...h4, node_id: 'node-b', public_key: b.publicKeyPem, signature: b.signHead('node-b', 4, h4.hash) };
    assert.equal(headExtends(h4, hb, [], [b.publicKeyPem]).ok, false);
  });
});
