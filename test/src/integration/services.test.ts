import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect, type ServiceClients } from '@lth/driver';
import type { LocalServices } from '@lth/local';
import { createRng, type WeightTensor } from '@lth/core';
import {
  checkHealth,
  ClientError,
  dataClient,
  GrpcStatus,
  openChannel,
  pruningV1,
  splitEnum,
  type finetuneV1,
} from '@lth/grpc-kit';
import { DatasetRegistry } from '@lth/datasets';
import { ArtifactStore, putWeights } from '@lth/store';
import { CACHE_DIR, filesUnder, freePort, PROGRAMS } from './harness';
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
} from './calls';

let served: ServedForTests;
let storeRoot: string;
let services: LocalServices;
let clients: ServiceClients;

before(async () => {
  served = await serveForTests('services');
  ({ storeRoot, services, clients } = served);
});

after(() => served?.stop());

test('every service is a separate process that reports SERVING on grpc.health.v1', async () => {
  assert.equal(new Set(services.processes.map((p) => p.pid)).size, 4);
  for (const p of services.processes) {
    assert.match(p.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(await checkHealth(p.address), 'SERVING');
  }
  assert.ok(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].includes(services.backend), services.backend);
});

test('the data service lists datasets and streams uint8 batches as bytes', async () => {
  const list = await clients.data.listDatasets({});
  const mnist = list.datasets.find((d) => d.name === 'mnist')!;
  assert.deepEqual(
    [mnist.height, mnist.width, mnist.channels, mnist.numClasses, mnist.testSize],
    [28, 28, 1, 10, 2000],
  );
  assert.ok(list.datasets.some((d) => d.name === 'fashion-mnist'));
  const call = clients.data.streamBatches({
    dataset: 'mnist',
    split: splitEnum('validation'),
    seed: 3,
    batchSize: 300,
    shuffle: true,
    shardIndex: 1,
    shardCount: 2,
    maxExamples: 0,
  });
  const batches = (await drain(call)) as { count: number; pixels: Buffer; labels: Buffer }[];
  assert.deepEqual(
    batches.map((b) => b.count),
    [300, 200],
  );
  for (const b of batches) {
    assert.ok(Buffer.isBuffer(b.pixels));
    assert.equal(b.pixels.length, b.count * 784);
    assert.equal(b.labels.length, b.count);
  }
});

test('a long stream sends every batch as gathered, though the service reuses its memory', async () => {
  // The data service gathers into a few buffers it reuses once grpc-js has copied a message out;
  // all batches are held until the end, so one overwritten too early shows as a mismatch.
  const request = { dataset: 'fashion-mnist', seed: 7, batchSize: 1000, shuffle: true, maxExamples: 0 };
  const call = clients.data.streamBatches({ ...request, split: splitEnum('train'), shardIndex: 0, shardCount: 1 });
  const received = (await drain(call)) as { count: number; pixels: Uint8Array; labels: Uint8Array }[];
  const fashion = await new DatasetRegistry(CACHE_DIR).get('fashion-mnist');
  const expected = [...fashion.batches('train', { ...request, shardIndex: 0, shardCount: 1 })];
  assert.equal(received.length, 55);
  assert.equal(received.length, expected.length);
  received.forEach((b, i) => {
    assert.equal(b.count, expected[i]!.count);
    assert.ok(Buffer.from(b.pixels).equals(expected[i]!.pixels), `batch ${i}: pixels differ`);
    assert.ok(Buffer.from(b.labels).equals(expected[i]!.labels), `batch ${i}: labels differ`);
  });
});

test('bad input gets the right status and a clear message, and writes nothing', async () => {
  const store = new ArtifactStore(storeRoot);
  const lenet: WeightTensor[] = [
    { name: 'fc1/kernel', shape: [10, 3], values: Float32Array.from({ length: 30 }, createRng(1).normal) },
  ];
  const wrongWeights = await putWeights(store, lenet);
  const before = await filesUnder(storeRoot);

  await assert.rejects(
    drain(
      clients.data.streamBatches({
        dataset: 'cifar-1000',
        split: splitEnum('train'),
        seed: 0,
        batchSize: 10,
        shuffle: false,
        shardIndex: 0,
        shardCount: 1,
        maxExamples: 0,
      }),
    ),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /unknown dataset "cifar-1000" \(known: mnist, fashion-mnist\)/),
  );
  const missing = 'sha256:' + '0'.repeat(64);
  await assert.rejects(
    clients.evaluation.evaluate({
      model: 'lenet-300-100',
      dataset: 'mnist',
      split: splitEnum('test'),
      weightsDigest: missing,
      maskDigest: '',
      batchSize: 100,
      maxExamples: 0,
    }),
    expectStatus(GrpcStatus.NOT_FOUND, /artifact sha256:0+ is not in the store/),
  );
  await assert.rejects(
    clients.pruning.prune({ weightsDigest: '../../etc/passwd', maskDigest: '', policy: GLOBAL_20 }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /weights_digest .* is not a digest/),
  );
  const request: finetuneV1.FineTuneRequest = {
    model: 'lenet-300-100',
    dataset: 'mnist',
    initWeightsDigest: wrongWeights,
    maskDigest: '',
    seed: 0,
    freshHead: true,
    epochs: 1,
    maxSteps: 2,
    batchSize: 32,
    optimizer: OPTIMIZER,
    maxExamples: 64,
  };
  await assert.rejects(
    drain(clients.finetune.fineTune(request)),
    expectStatus(
      GrpcStatus.FAILED_PRECONDITION,
      new RegExp(
        'weights do not fit lenet-300-100: fc1/kernel has shape \\[10,3\\] but lenet-300-100 needs \\[784,300\\]; ' +
          'missing fc1/bias',
      ),
    ),
  );
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...request, model: 'vgg-1000' })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /unknown model "vgg-1000"/),
  );
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...request, batchSize: 0 })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /batch_size/),
  );
  // A service invents no defaults: what a request leaves out or sets to zero is refused, by name.
  const optimizer = { ...request.optimizer!, learningRate: 0 };
  const good = { ...request, initWeightsDigest: '' };
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...good, optimizer: undefined })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /optimizer is required/),
  );
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...good, optimizer })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /optimizer\.learningRate/),
  );
  // NaN travels as a valid double; it must not become a default or train anything.
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...good, optimizer: { ...optimizer, learningRate: NaN } })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /optimizer\.learningRate/),
  );
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...good, optimizer: { ...OPTIMIZER, schedule: 'linear' } })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /optimizer\.schedule/),
  );
  const views = {
    minCropScale: 0.2,
    horizontalFlip: false,
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0,
    noiseStd: 0,
  };
  const contrastive = {
    method: 'simclr',
    temperature: 0.5,
    projectionHidden: 16,
    projectionDim: 8,
    keyMomentum: 0,
    queueSize: 0,
    views,
  };
  for (const [wrong, pattern] of [
    [{ method: 'byol' }, /contrastive\.method must be simclr or moco, not "byol"/],
    [{ temperature: 0 }, /contrastive\.temperature/],
    [{ method: 'moco' }, /MoCo needs contrastive\.queue_size/],
    [{ views: undefined }, /contrastive\.views is required/],
    [{ views: { ...views, minCropScale: 0 } }, /contrastive\.views\.min_crop_scale/],
    [{ views: { ...views, noiseStd: 2 } }, /contrastive\.views\.noiseStd/],
  ] as const) {
    await assert.rejects(
      drain(clients.finetune.fineTune({ ...good, contrastive: { ...contrastive, ...wrong } })),
      expectStatus(GrpcStatus.INVALID_ARGUMENT, pattern),
    );
  }
  await assert.rejects(
    drain(clients.finetune.fineTune({ ...good, batchSize: 1, contrastive })),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /SimCLR needs batch_size of at least 2/),
  );
  const weights = 'sha256:' + '1'.repeat(64);
  const prune = (policy: Parameters<typeof clients.pruning.prune>[0]['policy']) =>
    clients.pruning.prune({ weightsDigest: weights, maskDigest: '', policy });
  const policy = GLOBAL_20;
  await assert.rejects(prune(undefined), expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy is required/));
  await assert.rejects(prune({ ...policy, rate: 0 }), expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.rate/));
  await assert.rejects(prune({ ...policy, rate: NaN }), expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.rate/));
  await assert.rejects(
    prune({ ...policy, strategy: 7 as pruningV1.Strategy }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.strategy/),
  );
  await assert.rejects(
    prune({ ...policy, strategy: pruningV1.Strategy.STRATEGY_UNSPECIFIED }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.strategy/),
  );
  await assert.rejects(
    prune({ ...policy, excludePatterns: ['(('] }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.excludePatterns\.0: is not a valid RE2 regular expression/),
  );
  await assert.rejects(
    prune({ ...policy, excludePatterns: ['(a+)+\\1'.padEnd(10_000, 'x')] }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /policy\.excludePatterns\.0: .*longer than 256 characters/),
  );
  assert.deepEqual(await filesUnder(storeRoot), before, 'a refused call wrote to the store');
});

test('fine-tune streams progress and ends with a digest; evaluation and pruning use it', async () => {
  const events = (await drain(
    clients.finetune.fineTune({
      model: 'lenet-300-100',
      dataset: 'mnist',
      initWeightsDigest: '',
      maskDigest: '',
      seed: 4,
      freshHead: false,
      epochs: 1,
      maxSteps: 0,
      batchSize: 64,
      // The cosine schedule after a warm-up, as the paper's CIFAR recipe allows.
      optimizer: { ...OPTIMIZER, schedule: 'cosine', warmupSteps: 5 },
      maxExamples: 1280,
    }),
  )) as finetuneV1.FineTuneResponse[];
  const last = events[events.length - 1]!.event;
  assert.equal(last?.$case, 'result');
  if (last?.$case !== 'result') return;
  const progress = events.filter((e) => e.event?.$case === 'progress');
  assert.ok(progress.length >= 1);
  assert.equal(last.value.steps, 20);
  const evaluation = await clients.evaluation.evaluate({
    model: 'lenet-300-100',
    dataset: 'mnist',
    split: splitEnum('test'),
    weightsDigest: last.value.weightsDigest,
    maskDigest: '',
    batchSize: 500,
    maxExamples: 0,
  });
  assert.equal(evaluation.examples, 2000);
  assert.ok(evaluation.accuracy > 0.6, `accuracy ${evaluation.accuracy} after 20 steps`);
  const pruned = await clients.pruning.prune({
    weightsDigest: last.value.weightsDigest,
    maskDigest: '',
    policy: GLOBAL_20,
  });
  assert.equal(pruned.prunableWeights, 784 * 300 + 300 * 100);
  assert.equal(pruned.remainingWeights, Math.round(pruned.prunableWeights * 0.8));
  const random = await clients.pruning.randomPrune({ referenceMaskDigest: pruned.maskDigest, seed: 1 });
  assert.deepEqual(
    random.layers.map((l) => l.remaining),
    pruned.layers.map((l) => l.remaining),
  );
  assert.notEqual(random.maskDigest, pruned.maskDigest);

  // Perturbation sensitivity: noise on the ticket's survivors, drawn from the seed.
  const ticket = { ...evaluationOf(last.value.weightsDigest), maskDigest: pruned.maskDigest };
  const plain = await clients.evaluation.evaluate(ticket);
  const perturbed = (relativeScale: number, seed: number) =>
    clients.evaluation.evaluate({ ...ticket, perturbation: { relativeScale, seed } });
  assert.equal((await perturbed(0, 1)).accuracy, plain.accuracy, 'σ = 0 is the ticket itself');
  const [a, again, other] = [await perturbed(0.5, 1), await perturbed(0.5, 1), await perturbed(0.5, 2)];
  assert.equal(again.loss, a.loss, 'the same draw gives the same numbers');
  assert.notEqual(other.loss, a.loss);
  const loud = await perturbed(4, 1);
  assert.ok(loud.accuracy < plain.accuracy - 0.2, `σ = 4 costs accuracy: ${loud.accuracy} vs ${plain.accuracy}`);
  await assert.rejects(
    clients.evaluation.evaluate({ ...ticket, maskDigest: '', perturbation: { relativeScale: 0.1, seed: 1 } }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /perturbation needs mask_digest/),
  );
});

const evaluationOf = (weightsDigest: string) => ({
  model: 'lenet-300-100',
  dataset: 'mnist',
  split: splitEnum('test'),
  weightsDigest,
  maskDigest: '',
  batchSize: 500,
  maxExamples: 1000,
});

/** Starts one service program; resolves with its listening line, and keeps its stderr. */

test('huge input is never echoed: a long field gets a short message, a huge request is refused by size', async () => {
  const long = 'x'.repeat(50_000);
  await assert.rejects(
    clients.pruning.prune({ weightsDigest: long, maskDigest: '', policy: GLOBAL_20 }),
    (e: unknown) => {
      const err = e as ClientError;
      assert.equal(GrpcStatus[err.code], 'INVALID_ARGUMENT');
      assert.match(err.details, /weights_digest "x{64}"\.\.\. \(50000 characters\) is not a digest/);
      assert.ok(err.details.length < 200, `a ${err.details.length}-character message`);
      return true;
    },
  );
  await assert.rejects(
    clients.data.describeDataset({ name: 'y'.repeat(1_000_000) }),
    expectStatus(GrpcStatus.RESOURCE_EXHAUSTED, /larger than max/),
  );
  // The connection and the service are fine afterwards.
  assert.equal(await checkHealth(services.replicas[0]!.pruning), 'SERVING');
  assert.equal((await clients.data.describeDataset({ name: 'mnist' })).dataset?.numClasses, 10);
});

test('a request that does not decode is INVALID_ARGUMENT, a seed beyond 2^53 - 1 by name', async () => {
  const path = '/lth.pruning.v1.PruningService/RandomPrune';
  const address = services.replicas[0]!.pruning;
  // RandomPruneRequest field 2 (seed, uint64, wire type 0) = 2^60: valid protobuf, not an exact JS number.
  const bigSeed = await rawUnary(address, path, Buffer.from([0x10, ...varint(2n ** 60n)]));
  assert.equal(GrpcStatus[bigSeed.code], 'INVALID_ARGUMENT', bigSeed.details);
  assert.match(bigSeed.details, /^seed: must be at most 9007199254740991/);
  const garbage = await rawUnary(address, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
  assert.equal(GrpcStatus[garbage.code], 'INVALID_ARGUMENT', garbage.details);
  assert.match(garbage.details, /not a valid protobuf message/);
  assert.equal(await checkHealth(address), 'SERVING');
});

test('SIGTERM: a service stops serving, drains and exits 0', async () => {
  const { child, line } = await spawnService(PROGRAMS.pruning, ['--listen', '127.0.0.1:0', '--store', storeRoot]);
  assert.equal(await checkHealth(line.address), 'SERVING');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('SIGTERM mid-stream: the client gets UNAVAILABLE (retry elsewhere), the log says so at info', async () => {
  const args = ['--listen', '127.0.0.1:0', '--store', storeRoot, '--preload', 'mnist'];
  const data = await spawnService(PROGRAMS.data, args, { LTH_CACHE: CACHE_DIR });
  const exited = new Promise<number | null>((resolve) => data.child.once('exit', (code) => resolve(code)));
  const channel = openChannel(data.line.address);
  const request = { dataset: 'mnist', split: splitEnum('train'), seed: 0, batchSize: 10, shuffle: false };
  const stream = dataClient(channel).streamBatches({ ...request, shardIndex: 0, shardCount: 1, maxExamples: 0 });
  let received = 0;
  await assert.rejects(
    (async () => {
      for await (const batch of stream) {
        assert.equal(batch.count, 10);
        if (++received === 2) data.child.kill('SIGTERM');
      }
    })(),
    expectStatus(GrpcStatus.UNAVAILABLE, /the server is shutting down/),
  );
  channel.close();
  assert.equal(await exited, 0);
  assert.ok(received < 700, `the stream ran to its end (${received} batches)`);
  const lines = data
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
  assert.deepEqual(
    lines.filter((l) => l.level >= 40),
    [],
    'a shutdown is not a warning or an error',
  );
  assert.ok(lines.some((l) => l.level === 30 && l.msg === 'shutting down'));
});

test('a service given a GPU that computes on the CPU says so in its log and in lth_gpu_missing', async () => {
  const data = services.processes.find((p) => p.name === 'data')!.address;
  const args = ['--listen', '127.0.0.1:0', '--metrics', '127.0.0.1:0', '--store', storeRoot, '--data', data];
  // No GPU on this machine: every backend computes on the CPU.
  for (const expectGpu of [true, false]) {
    const env = { LTH_EXPECT_GPU: String(expectGpu) };
    const { child, line, stderr } = await spawnService(PROGRAMS.evaluation, args, env);
    try {
      const metrics = await (await fetch(`http://${line.metrics}/metrics`)).text();
      assert.match(metrics, new RegExp(`^lth_gpu_missing\\{[^}]*\\} ${expectGpu ? 1 : 0}$`, 'm'));
      if (expectGpu) assert.match(stderr(), /GPU MISSING: this pod was given a GPU but computes on the CPU/);
      else assert.doesNotMatch(stderr(), /GPU MISSING/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
});

/** A process's resident memory (Linux's /proc), as a user watching `top` sees it. */
async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

test('a batch the backend cannot hold is refused up front with the largest that fits; service goes on', async () => {
  if (services.backend === 'tensorflow-gpu') return; // a GPU's memory is not known here
  const finetunePid = services.processes.find((p) => p.name === 'finetune-0')!.pid;
  const rssBefore = await residentBytes(finetunePid);
  await assert.rejects(
    drain(clients.finetune.fineTune(fineTuneRequest('resnet-8', 65_536, 1))),
    expectStatus(
      GrpcStatus.RESOURCE_EXHAUSTED,
      /batch_size 65536 needs about \d+\.\d GiB .*the largest batch that fits is about \d+/,
    ),
  );
  const grown = (await residentBytes(finetunePid)) - rssBefore;
  assert.ok(grown < 32 * 2 ** 20, `the refused request left ${(grown / 2 ** 20).toFixed(0)} MiB resident`);
  // The training slot was released: the next request trains.
  const events = (await drain(
    clients.finetune.fineTune(fineTuneRequest('lenet-300-100', 32, 2)),
  )) as finetuneV1.FineTuneResponse[];
  assert.equal(events[events.length - 1]!.event?.$case, 'result');
  assert.equal(await checkHealth(services.replicas[0]!.finetune), 'SERVING');
});

test('a backend that runs out of memory mid-step takes its service down (exit 1), not wedged', async () => {
  const data = services.processes.find((p) => p.name === 'data')!.address;
  // Told it has far more memory than wasm's 4 GiB, the service tries, and wasm's memory breaks.
  const { child, line, stderr } = await spawnService(
    PROGRAMS.finetune,
    ['--listen', '127.0.0.1:0', '--store', storeRoot, '--data', data, '--backend', 'wasm'],
    { LTH_TRAINING_MEMORY_BYTES: String(1e12) },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const client = connect({ ...services.replicas[0]!, finetune: line.address });
  try {
    await assert.rejects(
      drain(client.finetune.fineTune(fineTuneRequest('resnet-8', 2048, 1))),
      expectStatus(GrpcStatus.RESOURCE_EXHAUSTED, /batch_size 2048 ran the wasm backend out of memory/),
    );
    assert.equal(await exited, 1, 'the process exits so that it is replaced');
    assert.match(stderr(), /the wasm backend stopped computing/);
  } finally {
    client.close();
    child.kill('SIGKILL');
  }
});

test('fine-tuning says NOT_SERVING while its data service is away, and SERVING when it is back', async () => {
  const port = await freePort();
  const dataArgs = ['--listen', `127.0.0.1:${port}`, '--store', storeRoot, '--preload', 'mnist'];
  const dataEnv = { LTH_CACHE: CACHE_DIR };
  let data = await spawnService(PROGRAMS.data, dataArgs, dataEnv);
  const args = ['--listen', '127.0.0.1:0', '--store', storeRoot, '--data', data.line.address];
  const finetune = await spawnService(PROGRAMS.finetune, args);
  const health = () => checkHealth(finetune.line.address);
  const until = async (status: string) => {
    const deadline = Date.now() + 20_000;
    while ((await health()) !== status && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return health();
  };
  try {
    assert.equal(await health(), 'SERVING');
    data.child.kill('SIGKILL');
    assert.equal(await until('NOT_SERVING'), 'NOT_SERVING');
    data = await spawnService(PROGRAMS.data, dataArgs, dataEnv);
    assert.equal(await until('SERVING'), 'SERVING');
  } finally {
    finetune.child.kill('SIGKILL');
    data.child.kill('SIGKILL');
  }
});

test('a learning rate that makes training diverge is refused as bad input, and no weights are stored', async () => {
  const request = {
    ...fineTuneRequest('lenet-300-100', 32, 5),
    optimizer: { ...OPTIMIZER, learningRate: 1e30 },
  };
  const before = (await filesUnder(storeRoot)).length;
  await assert.rejects(
    drain(clients.finetune.fineTune(request)),
    expectStatus(
      GrpcStatus.INVALID_ARGUMENT,
      /training diverged \(loss (NaN|-?Infinity) at step 5.*lower optimizer\.learningRate/,
    ),
  );
  assert.equal((await filesUnder(storeRoot)).length, before, 'the diverged weights were stored');
});
