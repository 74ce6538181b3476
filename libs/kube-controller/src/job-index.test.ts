import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobIndex } from './job-index';

const job = (uid: string, owner: string, done = false) => ({
  metadata: {
    uid,
    name: uid,
    ownerReferences: [{ apiVersion: 'lth.dev/v1alpha1', kind: 'Campaign', name: 'c', uid: owner }],
  },
  status: done ? { conditions: [{ type: 'Complete', status: 'True' }] } : { active: 1 },
});

test('Jobs are found by their owner UID, and the running ones are counted as they change', () => {
  const index = new JobIndex();
  index.upsert(job('j1', 'a'));
  index.upsert(job('j2', 'a'));
  index.upsert(job('j3', 'b'));
  assert.deepEqual(
    index.ownedBy('a').map((j) => j.metadata?.uid),
    ['j1', 'j2'],
  );
  assert.equal(index.activeCount, 3);
  assert.equal(index.upsert(job('j1', 'a', true)), true, 'its completion frees a slot');
  assert.equal(index.upsert(job('j1', 'a', true)), false, 'once');
  assert.equal(index.activeCount, 2, 'a completed Job no longer runs');
  assert.equal(index.ownedBy('a').length, 2);
  assert.equal(index.remove(job('j2', 'a')), true, 'deleting a running Job frees a slot too');
  index.remove(job('j1', 'a'));
  assert.deepEqual(index.ownedBy('a'), []);
  assert.equal(index.activeCount, 1);
  assert.deepEqual(index.ownedBy('someone-else'), []);
});
