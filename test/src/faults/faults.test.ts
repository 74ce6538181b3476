import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRng, type WeightTensor } from '@lth/core';
import type { ServiceClients } from '@lth/driver';
import { checkHealth, dataClient, GrpcStatus, openChannel, pruningV1, splitEnum } from '@lth/grpc-kit';
import type { LocalServices } from '@lth/local';
import { ArtifactStore, putWeights } from '@lth/store';
import { CACHE_DIR, CLI, filesUnder, freePort, PROGRAMS, tempDir } from '../integration/harness';
import {
  drain,
  expectStatus,
  fineTuneRequest,
  GLOBAL_20,
  OPTIMIZER,
  rawUnary,
  serveForTests,
  spawnService,
  varint,
  type ServedForTests,
} from '../integration/calls';
import {
  comparableResults,
  noProcessesLeft,
  noTempFiles,
  processesOf,
  refFiles,
  runDir,
  runToEnd,
  startLthRun,
  type RunDir,
} from './lth-run';

/**
 * The fault-injection suite (issue 9): processes killed at random points of a small campaign, hostile
 * requests, corrupt artifacts. Every case states what must hold afterwards; the last test prints one
 * line with the cases tried and held. Loopback only. The points are random but seeded: a failure names
 * its seed, and LTH_FAULT_SEED=N reruns exactly those points. LTH_FAULT_CASES sets kills per kind.
 */
const SEED = Number(process.env['LTH_FAULT_SEED'] ?? Math.floor(Math.random() * 1_000_000));
const KILLS_PER_KIND = Number(process.env['LTH_FAULT_CASES'] ?? 2);
const rng = createRng(SEED);
const tally: { kind: string; held: boolean }[] = [];

async function fault(kind: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    tally.push({ kind, held: true });
  } catch (error) {
    tally.push({ kind, held: false });
    throw new Error(`${kind} (LTH_FAULT_SEED=${SEED}): ${(error as Error).message}`, { cause: error });
  }
}

let reference: RunDir;
let referenceResults: unknown;
/** How long the reference campaign computed, from its services serving to its exit. */
let workMs: number;
let served: ServedForTests;
let storeRoot: string;
let services: LocalServices;
let clients: ServiceClients;

before(async () => {
  reference = await runDir('reference');
  const run = startLthRun(reference);
  await run.started;
  const started = Date.now();
  assert.equal((await run.exited).code, 0, run.output());
  workMs = Date.now() - started;
  referenceResults = await comparableResults(reference);
  served = await serveForTests('faults-services');
  ({ storeRoot, services, clients } = served);
});

after(() => served?.stop());

/** After any fault: a rerun completes, recomputes nothing that had finished, and ends as an uninterrupted run. */
async function rerunEndsAsReference(dir: RunDir): Promise<void> {
  await noProcessesLeft(dir);
  const finished = await refFiles(dir);
  await runToEnd(dir);
  const now = await refFiles(dir);
  for (const [ref, file] of finished) assert.equal(now.get(ref), file, `${ref} was computed again`);
  assert.deepEqual(await comparableResults(dir), referenceResults);
  await noProcessesLeft(dir);
  await noTempFiles(dir);
}

/** A random point of the campaign's work, after its services serve. */
const randomPointMs = (fraction: number) => Math.floor(rng.next() * workMs * fraction);

const SERVICE_MAINS = (['data', 'pruning', 'evaluation', 'finetune'] as const).map((s) => PROGRAMS[s].args[0]!);

for (let i = 0; i < KILLS_PER_KIND; i++) {
  test(`SIGKILL of lth run at a random point (${i + 1}): nothing left running; the rerun finishes the rest`, () =>
    fault('kill lth run', async () => {
      const dir = await runDir('kill-run');
      const run = startLthRun(dir);
      await run.started;
      await sleep(randomPointMs(0.9));
      run.child.kill('SIGKILL');
      await run.exited;
      await rerunEndsAsReference(dir);
    }));

  test(`SIGKILL of a random service (${i + 1}): lth run restarts it and finishes with the same results`, () =>
    fault('kill a service', async () => {
      let dir = await runDir('kill-service');
      let run = startLthRun(dir);
      await run.started;
      await sleep(randomPointMs(0.7));
      let running = processesOf(dir).filter((p) => SERVICE_MAINS.some((main) => p.args.includes(main)));
      // A machine busier when the reference ran than now: the run ended before the point drawn. A new run,
      // killed as soon as it serves.
      if (running.length === 0) {
        await run.exited;
        dir = await runDir('kill-service-early');
        run = startLthRun(dir);
        await run.started;
        running = processesOf(dir).filter((p) => SERVICE_MAINS.some((main) => p.args.includes(main)));
      }
      const victim = running[rng.int(running.length)]!;
      process.kill(victim.pid, 'SIGKILL');
      const { code } = await run.exited;
      assert.equal(code, 0, run.output());
      await rerunEndsAsReference(dir);
    }));

  test(`SIGKILL of a round's driver (${i + 1}): the task runs again and the campaign ends as it would have`, () =>
    fault('kill a round child', async () => {
      const dir = await runDir('kill-driver');
      const run = startLthRun(dir);
      await run.started;
      await sleep(randomPointMs(0.6));
      let killed = false;
      while (!killed && run.child.exitCode === null) {
        const driver = processesOf(dir, PROGRAMS.driver.args[0]!)[0];
        if (driver) killed = killIfAlive(driver.pid);
        else await sleep(20);
      }
      assert.ok(killed, 'the campaign ended before a driver could be killed');
      const { code } = await run.exited;
      assert.equal(code, 0, run.output());
      assert.match(run.output(), /failed \(attempt 1, retrying\)/);
      await rerunEndsAsReference(dir);
    }));
}

test('a corrupt record of a random finished task: that task runs again, nothing else, same results', () =>
  fault('corrupt a record', async () => {
    const dir = await runDir('corrupt', reference);
    const refs = [...(await refFiles(dir)).keys()];
    const victim = refs[rng.int(refs.length)]!;
    const digest = (await readFile(join(dir.store, victim), 'utf8')).trim();
    const object = join(dir.store, 'objects', digest.slice(7, 9), digest.slice(9));
    const bytes = await readFile(object);
    bytes[bytes.length >> 1]! ^= 0x40;
    await writeFile(object, bytes);
    const before = await refFiles(dir);
    const output = await runToEnd(dir);
    assert.match(output, /warning: .*runs again/);
    const now = await refFiles(dir);
    for (const [ref, file] of before) if (ref !== victim) assert.equal(now.get(ref), file, `${ref} was computed again`);
    // The task's new record (its timings differ, so its digest does) is whole; nothing refers to the old one.
    const healed = (await readFile(join(dir.store, victim), 'utf8')).trim();
    assert.ok((await new ArtifactStore(dir.store).get(healed)).length > 0);
    assert.deepEqual(await comparableResults(dir), referenceResults);
    await noTempFiles(dir);
  }));

/** Hostile requests: each gets its status, and every service still serves afterwards. */
async function holds(kind: string, body: () => Promise<void>): Promise<void> {
  await fault(kind, async () => {
    await body();
    for (const p of services.processes) assert.equal(await checkHealth(p.address), 'SERVING', p.name);
  });
}

test('hostile requests: each answered with its status, the services serve on', async () => {
  const long = 'x'.repeat(10_000);
  await holds('a 10 KB field', () =>
    assert.rejects(
      clients.pruning.prune({ weightsDigest: long, maskDigest: '', policy: GLOBAL_20 }),
      expectStatus(
        GrpcStatus.INVALID_ARGUMENT,
        /^weights_digest "x{64}"\.\.\. \(10000 characters\) is not a digest \(want sha256:<64 hex>\)$/,
      ),
    ),
  );
  await holds('a 1 MB request', () =>
    assert.rejects(
      clients.data.describeDataset({ name: 'y'.repeat(1_000_000) }),
      expectStatus(GrpcStatus.RESOURCE_EXHAUSTED, /larger than max/),
    ),
  );
  await holds('a batch no backend here can hold', () =>
    assert.rejects(
      drain(clients.finetune.fineTune(fineTuneRequest('lenet-300-100', 4_000_000, 1))),
      expectStatus(GrpcStatus.RESOURCE_EXHAUSTED, /the largest batch that fits is about \d+/),
    ),
  );
  const path = '/lth.pruning.v1.PruningService/RandomPrune';
  await holds('a seed of 2^60', async () => {
    const answer = await rawUnary(services.replicas[0]!.pruning, path, Buffer.from([0x10, ...varint(2n ** 60n)]));
    assert.equal(GrpcStatus[answer.code], 'INVALID_ARGUMENT', answer.details);
  });
  await holds('bytes that are not a message', async () => {
    const answer = await rawUnary(services.replicas[0]!.pruning, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
    assert.equal(GrpcStatus[answer.code], 'INVALID_ARGUMENT', answer.details);
  });
  await holds('a NaN learning rate', () =>
    assert.rejects(
      drain(
        clients.finetune.fineTune({
          ...fineTuneRequest('lenet-300-100', 32, 1),
          optimizer: { ...OPTIMIZER, learningRate: NaN },
        }),
      ),
      expectStatus(GrpcStatus.INVALID_ARGUMENT, /optimizer\.learningRate/),
    ),
  );
  const policy = GLOBAL_20;
  const store = new ArtifactStore(storeRoot);
  // A name that makes a backtracking engine take ~2^40 steps for `^(a|a?)+$`; RE2 answers at once.
  const weights: WeightTensor[] = [
    {
      name: `${'a'.repeat(40)}!/kernel`,
      shape: [8, 8],
      values: Float32Array.from({ length: 64 }, createRng(3).normal),
    },
  ];
  const weightsDigest = await putWeights(store, weights);
  await holds('an exclude pattern that explodes a backtracking engine', async () => {
    const pruned = await clients.pruning.prune({
      weightsDigest,
      maskDigest: '',
      policy: { ...policy, excludePatterns: ['^(a|a?)+$'] },
    });
    assert.equal(pruned.remainingWeights, 51);
  });
  await holds('an unknown pruning strategy', () =>
    assert.rejects(
      clients.pruning.prune({
        weightsDigest,
        maskDigest: '',
        policy: { ...policy, strategy: 9 as pruningV1.Strategy, excludePatterns: [] },
      }),
      expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.strategy/),
    ),
  );
  await holds('a learning rate that diverges', async () => {
    const files = (await filesUnder(storeRoot)).length;
    const diverging = { ...fineTuneRequest('lenet-300-100', 32, 5), optimizer: { ...OPTIMIZER, learningRate: 1e30 } };
    await assert.rejects(
      drain(clients.finetune.fineTune(diverging)),
      expectStatus(GrpcStatus.INVALID_ARGUMENT, /diverged/),
    );
    assert.equal((await filesUnder(storeRoot)).length, files, 'diverged weights were stored');
  });
});

test('absurd campaigns and YAML bombs: lth validate exits 2 naming the field, at once', async () => {
  const dir = await tempDir('faults-validate');
  const head = 'name: absurd\nmodels: [lenet-300-100]\npretrainings: [{ name: none, kind: none }]\ntasks: [mnist]\n';
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(10)
        .fill(`*${'abcdefghi'[i - 1]}`)
        .join(', ')}]`,
    );
  const cases: [string, string, RegExp][] = [
    [
      '46 billion rounds',
      `${head}seeds: [0]\nimp: { targetSparsity: 0.99, pruning: { rate: 1.0e-10 } }\n`,
      /imp\.targetSparsity: .*at most 100/,
    ],
    ['5 billion steps', `${head}seeds: [0]\nfinetune: { maxSteps: 5000000000 }\n`, /finetune\.maxSteps: .*4294967295/],
    ['100,000 seeds', `${head}seeds: [${Array.from({ length: 100_000 }, (_, i) => i).join(',')}]\n`, /seeds: .*10000/],
    ['a seed of 2^60', `${head}seeds: [1152921504606846976]\n`, /^\S+: seeds\[0\]: Too big/],
    ['a YAML alias bomb', bomb.join('\n'), /\(yaml\): Excessive alias count/],
  ];
  for (const [kind, text, message] of cases)
    await fault(`campaign: ${kind}`, async () => {
      const file = join(dir, 'campaign.yaml');
      await writeFile(file, text);
      const res = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(res.status, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.ok(res.stderr.split('\n').filter(Boolean).length <= 2, `too many lines: ${res.stderr.slice(0, 500)}`);
    });
});

test('SIGTERM to the data service mid-stream: UNAVAILABLE, and fine-tuning is NOT_SERVING until it is back', () =>
  fault('data service away', async () => {
    const port = await freePort();
    const dataArgs = ['--listen', `127.0.0.1:${port}`, '--store', storeRoot, '--preload', 'mnist'];
    let data = await spawnService(PROGRAMS.data, dataArgs, { LTH_CACHE: CACHE_DIR });
    const finetune = await spawnService(PROGRAMS.finetune, [
      '--listen',
      '127.0.0.1:0',
      '--store',
      storeRoot,
      '--data',
      data.line.address,
    ]);
    try {
      const channel = openChannel(data.line.address);
      const request = { dataset: 'mnist', split: splitEnum('train'), seed: 0, batchSize: 10, shuffle: false };
      const stream = dataClient(channel).streamBatches({ ...request, shardIndex: 0, shardCount: 1, maxExamples: 0 });
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const batch of stream) if (batch.count > 0 && ++received === 1) data.child.kill('SIGTERM');
        })(),
        expectStatus(GrpcStatus.UNAVAILABLE, /shutting down/),
      );
      channel.close();
      await waitForHealth(finetune.line.address, 'NOT_SERVING');
      data = await spawnService(PROGRAMS.data, dataArgs, { LTH_CACHE: CACHE_DIR });
      await waitForHealth(finetune.line.address, 'SERVING');
    } finally {
      data.child.kill('SIGKILL');
      finetune.child.kill('SIGKILL');
    }
  }));

async function waitForHealth(address: string, status: string, withinMs = 15_000): Promise<void> {
  const until = Date.now() + withinMs;
  let last = '';
  while (Date.now() < until && (last = await checkHealth(address)) !== status) await sleep(250);
  assert.equal(last, status);
}

test('summary: every fault case tried held', (t) => {
  const kinds = new Map<string, number>();
  for (const { kind } of tally) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  const held = tally.filter((c) => c.held).length;
  const line =
    `faults: ${tally.length} cases tried, ${held} held (LTH_FAULT_SEED=${SEED}): ` +
    [...kinds].map(([kind, n]) => (n > 1 ? `${kind} x${n}` : kind)).join(', ');
  t.diagnostic(line);
  console.log(line);
  assert.equal(held, tally.length);
  assert.ok(tally.length >= 3 * KILLS_PER_KIND + 1 + 9 + 5 + 1, 'a case was not tried');
});

/** SIGKILL, or false when the process has just exited by itself (a driver between listing and kill). */
function killIfAlive(pid: number): boolean {
  try {
    return process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}
