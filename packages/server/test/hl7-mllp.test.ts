/**
 * The MLLP listener over a real TCP socket (Hl7Client of @medplum/hl7): ACK AA for a filed
 * result, AE with ERR segments (and nothing stored) for a malformed one, AR for another
 * message type; SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Hl7Client } from '@medplum/hl7';
import { Hl7Message } from '@medplum/core';
import { STORE_KINDS } from './helpers/stores.js';
import { startMllpListener } from '../src/clinical/labs/mllp-listener.js';
import { oru, smallPractice } from './labs-fixtures.js';

for (const kind of STORE_KINDS) {
  describe(`MLLP listener (${kind.name})`, { skip: kind.skip }, () => {
    it('acknowledges filed results, reports segment errors in ERR segments, and rejects other message types', async () => {
      const store = await kind.open();
      const listener = await startMllpListener(store.repo, { port: 0, tzOffset: '+0000' });
      const client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
      try {
        await smallPractice(store.repo);
        const ok = await client.sendAndWait(Hl7Message.parse(oru({ control: 'M1' })));
        assert.equal(ok.getSegment('MSA')?.getField(1).toString(), 'AA');
        assert.equal(ok.getSegment('MSA')?.getField(2).toString(), 'M1');
        assert.equal((await store.repo.countByType()).Observation, 1);

        const seq = await store.repo.lastSeq();
        const bad = await client.sendAndWait(Hl7Message.parse(oru({ control: 'M2', filler: 'F2', obx: ['NM|14334-7^Lithium^LN||high|mmol/L|||||F'] })));
        assert.equal(bad.getSegment('MSA')?.getField(1).toString(), 'AE');
        const err = bad.getSegment('ERR');
        assert.equal(err?.getField(2).toString(), 'OBX^5^5');
        assert.equal(err?.getComponent(3, 1), '102');
        assert.match(err?.getField(8).toString() ?? '', /"high" is not a number/);
        assert.equal(await store.repo.lastSeq(), seq, 'nothing stored');

        const adt = await client.sendAndWait(Hl7Message.parse(oru({ control: 'M3' }).replace('ORU^R01', 'ADT^A08')));
        assert.equal(adt.getSegment('MSA')?.getField(1).toString(), 'AR');
        assert.equal(await store.repo.lastSeq(), seq);

        const dup = await client.sendAndWait(Hl7Message.parse(oru({ control: 'M1' })));
        assert.equal(dup.getSegment('MSA')?.getField(1).toString(), 'AA', 'a resent message is acknowledged again');
        assert.equal(await store.repo.lastSeq(), seq);
      } finally {
        await client.close();
        await listener.close();
        await store.dispose();
      }
    });
  });
}
