import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { K8s } from './k8s';
import { startLeaderElection } from './leader-election';

type Lease = K8s.V1Lease;

/** An in-memory Lease endpoint with the API server's rules that matter here: MicroTime, 409, 404. */
function leaseApi() {
  let stored: Lease | undefined;
  let version = 0;
  let failing = false;
  const micro = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
  const check = (body: Lease) => {
    if (failing) throw Object.assign(new Error('HTTP 503'), { code: 503, body: '{"message":"etcd is down"}' });
    const spec = JSON.parse(JSON.stringify(body.spec)) as Record<string, unknown>;
    for (const field of ['renewTime', 'acquireTime']) {
      if (spec[field] !== undefined && !micro.test(String(spec[field]))) {
        throw Object.assign(new Error('HTTP 400'), { code: 400, body: `{"message":"spec.${field}: not MicroTime"}` });
      }
    }
    return JSON.parse(JSON.stringify(body)) as Lease;
  };
  return {
    fail: (value: boolean) => (failing = value),
    current: () => stored,
    /** Another candidate renews: the record changes. */
    renewAs: (holderIdentity: string, renewTime: string) => {
      const spec = { ...stored!.spec, holderIdentity, renewTime: renewTime as never, leaseDurationSeconds: 15 };
      stored = { ...stored!, spec };
      stored.metadata = { ...stored.metadata, resourceVersion: String(++version) };
    },
    api: {
      readNamespacedLease: async () => {
        if (failing) throw Object.assign(new Error('HTTP 503'), { code: 503 });
        if (!stored) throw Object.assign(new Error('HTTP 404'), { code: 404 });
        return JSON.parse(JSON.stringify(stored)) as Lease;
      },
      createNamespacedLease: async ({ body }: { body: Lease }) => {
        if (stored) throw Object.assign(new Error('HTTP 409'), { code: 409 });
        stored = { ...check(body), metadata: { ...body.metadata, resourceVersion: String(++version) } };
        return stored;
      },
      replaceNamespacedLease: async ({ body }: { body: Lease }) => {
        const checked = check(body);
        if (body.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) {
          throw Object.assign(new Error('HTTP 409'), { code: 409 });
        }
        stored = { ...checked, metadata: { ...body.metadata, resourceVersion: String(++version) } };
        return stored;
      },
    } as never,
  };
}

const lines: string[] = [];
const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

function candidate(api: unknown, identity: string, clock: () => number) {
  const events: string[] = [];
  const election = startLeaderElection({
    api: api as never,
    namespace: 'lth',
    name: 'lth-controller',
    identity,
    log,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 5,
    clock,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  return { election, events };
}

test('the lease is created and renewed with MicroTime (six fractional digits)', async () => {
  const fake = leaseApi();
  const a = candidate(fake.api, 'a', Date.now);
  await settle();
  assert.equal(a.election.isLeader(), true);
  assert.match(String(fake.current()!.spec!.renewTime), /\.\d{6}Z$/);
  await a.election.stop();
  assert.equal(fake.current()!.spec!.holderIdentity, undefined, 'released on stop');
});

test('expiry is judged by when this candidate saw the record change, not by the holder clock', async () => {
  const fake = leaseApi();
  let t = 1_000_000;
  const holder = candidate(fake.api, 'holder', () => t);
  await settle();
  await holder.election.stop();
  // The holder's clock is an hour behind: its renewTime looks stale, yet it keeps renewing.
  fake.renewAs('holder', '2026-01-01T00:00:00.000000Z');
  const b = candidate(fake.api, 'b', () => t);
  after(() => b.election.stop());
  for (let i = 0; i < 5; i++) {
    t += 10_000;
    fake.renewAs('holder', `2026-01-01T00:00:0${i + 1}.000000Z`);
    await settle(20);
  }
  assert.equal(b.election.isLeader(), false, 'a renewing holder keeps its lease whatever its clock says');
  // The holder stops renewing: after a full lease by b's clock, b takes over.
  t += 14_000;
  await settle(20);
  assert.equal(b.election.isLeader(), false);
  t += 2_000;
  await settle(30);
  assert.equal(b.election.isLeader(), true);
  assert.equal(fake.current()!.spec!.leaseTransitions, 1);
  await b.election.stop();
});

test('a failed renew is retried until the renew deadline, then the leader steps down; failures logged', async () => {
  const fake = leaseApi();
  let t = 5_000_000;
  const a = candidate(fake.api, 'a', () => t);
  after(() => a.election.stop());
  await settle();
  assert.deepEqual(a.events, ['started']);
  lines.length = 0;
  fake.fail(true);
  t += 9_000;
  await settle(30);
  assert.equal(a.election.isLeader(), true, 'still within the renew deadline');
  fake.fail(false);
  await settle(30);
  t += 9_000;
  fake.fail(true);
  await settle(30);
  assert.equal(a.election.isLeader(), true, 'the successful renew in between reset the deadline');
  t += 2_000;
  await settle(30);
  assert.equal(a.election.isLeader(), false);
  assert.deepEqual(a.events, ['started', 'stopped']);
  assert.ok(
    lines.some((l) => /"status":503/.test(l) && /could not acquire or renew/.test(l)),
    lines.join(''),
  );
  fake.fail(false);
  await a.election.stop();
});
