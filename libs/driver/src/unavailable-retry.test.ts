import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, GrpcStatus } from '@lth/grpc-kit';
import type { DriverEvent } from './driver-events';
import { retryUnavailable } from './unavailable-retry';

const policy = { initialDelayMs: 1, maxDelayMs: 4, budgetMs: 20 };
const refused =
  'round_robin: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:39825. Resolution note: ';

function failing(statuses: GrpcStatus[]) {
  let calls = 0;
  return {
    calls: () => calls,
    call: async () => {
      const status = statuses[calls++];
      if (status === undefined) return 'done';
      throw new ClientError('/lth.finetune.v1.FineTuneService/FineTune', status, refused);
    },
  };
}

test('UNAVAILABLE is called again with a doubling delay, and each wait is reported', async () => {
  const events: DriverEvent[] = [];
  const service = failing([GrpcStatus.UNAVAILABLE, GrpcStatus.UNAVAILABLE, GrpcStatus.UNAVAILABLE]);
  assert.equal(await retryUnavailable('finetune', service.call, { emit: (e) => events.push(e) }, policy), 'done');
  assert.equal(service.calls(), 4);
  assert.deepEqual(
    events.map((e) => (e.type === 'retrying' ? [e.service, e.attempt, e.delayMs, e.reason] : e.type)),
    [1, 2, 3].map((attempt) => ['finetune', attempt, [1, 2, 4][attempt - 1], 'connect ECONNREFUSED 127']),
  );
});

test('any other status is the answer at once; UNAVAILABLE past the budget is too', async () => {
  const events: DriverEvent[] = [];
  const emit = (e: DriverEvent) => events.push(e);
  const bad = failing([GrpcStatus.INVALID_ARGUMENT]);
  await assert.rejects(retryUnavailable('pruning', bad.call, { emit }, policy), { code: GrpcStatus.INVALID_ARGUMENT });
  assert.equal(bad.calls(), 1);
  const down = failing(Array(100).fill(GrpcStatus.UNAVAILABLE));
  await assert.rejects(retryUnavailable('pruning', down.call, { emit }, policy), { code: GrpcStatus.UNAVAILABLE });
  // Waits of 1, 2, 4, 4, 4, 4 ms (19) fit a 20 ms budget; a seventh would not.
  assert.equal(down.calls(), 7);
});

test('an aborted driver stops waiting', async () => {
  const controller = new AbortController();
  const down = failing(Array(100).fill(GrpcStatus.UNAVAILABLE));
  const slow = { initialDelayMs: 60_000, maxDelayMs: 60_000, budgetMs: 600_000 };
  const waiting = retryUnavailable('evaluation', down.call, { emit: () => {}, signal: controller.signal }, slow);
  setImmediate(() => controller.abort());
  await assert.rejects(waiting, { name: 'AbortError' });
});
