import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundEvents, type RoundNews } from './round-events';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

function recorder(): { told: { campaign: string; news: RoundNews; at: number }[]; events: RoundEvents<string> } {
  const told: { campaign: string; news: RoundNews; at: number }[] = [];
  const events = new RoundEvents<string>(10_000, async (campaign, news) => {
    told.push({ campaign, news, at: Date.now() });
  });
  return { told, events };
}

test('the first news is told at once; what follows within the interval is told together when it ends', async () => {
  const { told, events } = recorder();
  await events.add('uid-a', 'a', { finished: ['round 0'], started: ['round 1'] });
  assert.deepEqual(told, [{ campaign: 'a', news: { finished: ['round 0'], started: ['round 1'] }, at: 0 }]);
  mock.timers.tick(2_000);
  await events.add('uid-a', 'a', { finished: ['round 1'], started: [] });
  mock.timers.tick(3_000);
  await events.add('uid-a', 'a v2', { finished: [], started: ['round 2'] });
  assert.equal(told.length, 1, 'held back within the interval');
  mock.timers.tick(5_000);
  await Promise.resolve();
  assert.deepEqual(told[1], { campaign: 'a v2', news: { finished: ['round 1'], started: ['round 2'] }, at: 10_000 });
  mock.timers.tick(60_000);
  assert.equal(told.length, 2, 'nothing new, nothing told');
  await events.add('uid-a', 'a', { finished: ['round 2'], started: [] });
  assert.equal(told.length, 3, 'after a quiet interval, news is told at once');
});

test('campaigns are limited each on their own; nothing is told of empty news or a forgotten campaign', async () => {
  const { told, events } = recorder();
  await events.add('uid-a', 'a', { finished: ['a0'], started: [] });
  await events.add('uid-b', 'b', { finished: ['b0'], started: [] });
  await events.add('uid-c', 'c', { finished: [], started: [] });
  assert.deepEqual(
    told.map((t) => t.campaign),
    ['a', 'b'],
  );
  await events.add('uid-a', 'a', { finished: ['a1'], started: [] });
  events.forget('uid-a');
  mock.timers.tick(20_000);
  assert.equal(told.length, 2, 'a deleted campaign is not told about');
});

test('flush tells what waits at once (the controller is stopping)', async () => {
  const { told, events } = recorder();
  await events.add('uid-a', 'a', { finished: ['a0'], started: [] });
  await events.add('uid-a', 'a', { finished: ['a1'], started: ['a2'] });
  await events.flush();
  assert.deepEqual(told[1]?.news, { finished: ['a1'], started: ['a2'] });
  mock.timers.tick(20_000);
  assert.equal(told.length, 2, 'told once, not again when its timer would have fired');
});
