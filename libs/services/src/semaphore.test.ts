import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from './semaphore';

test('admits up to the limit, queues the rest in order, and drops cancelled waiters', async () => {
  const s = new Semaphore(1);
  const order: string[] = [];
  const first = await s.acquire();
  const abort = new AbortController();
  const second = s.acquire().then((release) => (order.push('second'), release));
  const cancelled = s.acquire(abort.signal);
  const third = s.acquire().then((release) => (order.push('third'), release));
  assert.equal(s.queued, 3);
  abort.abort();
  await assert.rejects(cancelled, { kind: 'cancelled' });
  first();
  (await second)();
  (await third)();
  assert.deepEqual(order, ['second', 'third']);
  assert.equal(s.queued, 0);
});

test('beyond the waiting room it refuses with RESOURCE_EXHAUSTED', async () => {
  const s = new Semaphore(1, 1);
  const release = await s.acquire();
  const waiting = s.acquire();
  await assert.rejects(s.acquire(), { kind: 'resource-exhausted', message: /1 running and 1 waiting/ });
  release();
  (await waiting)();
});
