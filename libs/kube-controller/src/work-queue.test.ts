import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue';

test('a key queued twice is processed once; a key added while processing comes back once after', async () => {
  const q = new WorkQueue();
  q.add('ns/a');
  q.add('ns/b');
  q.add('ns/a');
  assert.equal(q.depth, 2);
  const first = await q.next();
  assert.equal(first, 'ns/a');
  q.add('ns/a'); // changed while being reconciled
  q.add('ns/a');
  assert.equal(q.depth, 1, 'not queued beside itself while processing');
  q.done('ns/a');
  assert.deepEqual([await q.next(), await q.next()], ['ns/b', 'ns/a']);
  q.done('ns/b');
  q.done('ns/a');
  assert.equal(q.depth, 0);
  q.close();
  assert.equal(await q.next(), undefined);
});

test('failed keys come back after a growing delay; forget resets it', async () => {
  const q = new WorkQueue();
  const started = Date.now();
  q.retry('ns/x');
  assert.equal(await q.next(), 'ns/x');
  q.done('ns/x');
  q.retry('ns/x');
  assert.equal(await q.next(), 'ns/x');
  const waited = Date.now() - started;
  assert.ok(waited >= 250, `backoff 100 ms then 200 ms, waited ${waited} ms`);
  q.done('ns/x');
  q.close();
});

test('several workers wait at once: each key wakes one, and close wakes them all', async () => {
  const q = new WorkQueue();
  const workers = [q.next(), q.next(), q.next()];
  q.add('ns/a');
  assert.equal(await workers[0], 'ns/a');
  q.close();
  assert.deepEqual(await Promise.all(workers.slice(1)), [undefined, undefined]);
});

test('a key delayed many times waits on one timer, the earliest', async () => {
  const q = new WorkQueue();
  for (let i = 0; i < 1000; i++) q.addAfter('ns/a', 60_000);
  q.addAfter('ns/a', 20);
  q.addAfter('ns/a', 60_000);
  assert.equal(q.delayedCount, 1);
  assert.equal(await q.next(), 'ns/a', 'the 20 ms one fired');
  assert.equal(q.delayedCount, 0);
  q.close();
});
