/**
 * `npm run bench`: one JSON line per measurement. Compare numbers from the same run only.
 *  - finetune_images_per_second: masked training steps (forward, backward, SGD with masked gradients) per
 *    model and TF.js backend, in process (no gRPC); native TensorFlow also on one thread (`threads: 1`);
 *  - global_prune_seconds: one global magnitude pruning step over 25M weights in 50 tensors;
 *  - data_stream_megabytes_per_second: uint8 batches from the data service over loopback gRPC, the
 *    service in this process and in its own (median of 9 streams);
 *  - grpc_stream_ceiling_megabytes_per_second, http2_stream_ceiling_megabytes_per_second: the same
 *    bytes in messages of the same size from bare grpc-js and from bare node:http2 (transport-ceiling.ts);
 *  - campaign_to_bare_loop: a small campaign through services, gRPC, store and planner against the
 *    same training in one bare loop, service_peak_rss_megabytes per service, and
 *    finetune_data_wait_fraction: time fine-tuning waited for batches over time it trained
 *    (campaign-overhead.ts);
 *  - with --data-path: only the data path's lines;
 *  - with --torch: torch_images_per_second, the same models, batches and thread counts in PyTorch
 *    (Debian's python3-torch), and ratio_to_torch for each lth backend (torch-lane.ts).
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, pruneByMagnitude, type WeightTensor } from '@lth/core';
import { dataClient, openChannel, splitEnum } from '@lth/grpc-kit';
import { startLocalServices } from '@lth/local';
import { serve } from '@lth/services';
import { CACHE_DIR, PROGRAMS } from '../integration/harness';
import { batchTensors, initBackend, MaskedTrainer, Network, tf, type BackendName } from '@lth/tensor';
import { pino } from './quiet-logger';
import { threadsOf, torchLane, type LthThroughput } from './torch-lane';
import { emit } from './emit';
import { campaignOverhead } from './campaign-overhead';
import { startCeilingServer, type Transport } from './transport-ceiling';

/** Native TensorFlow's intra-op threads, when set for this process (the one-thread lane). */
const tensorflowThreads = Number(process.env['TF_NUM_INTRAOP_THREADS']) || undefined;

async function finetuneThroughput(
  backend: BackendName,
  model: string,
  batchSize: number,
  steps: number,
): Promise<LthThroughput> {
  await initBackend(backend);
  const input = { height: 28, width: 28, channels: 1 };
  const net = new Network(model, input, 10);
  net.initialize(0);
  const trainer = new MaskedTrainer(net, undefined, {
    learningRate: 0.01,
    momentum: 0.9,
    weightDecay: 1e-4,
    milestones: [],
    gamma: 0.1,
    warmupSteps: 0,
    schedule: 'step',
  });
  const rng = createRng(1);
  const pixels = Uint8Array.from({ length: batchSize * 784 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: batchSize }, () => rng.int(10));
  const step = () => {
    const { x, y } = batchTensors(pixels, labels, { input, numClasses: 10 });
    trainer.step(x, y, 0.01);
    tf.dispose([x, y]);
  };
  step();
  await trainer.takeMeanLoss(); // warm-up: kernels compiled, memory allocated
  const started = performance.now();
  for (let i = 0; i < steps; i++) step();
  await trainer.takeMeanLoss(); // waits for the device
  const seconds = (performance.now() - started) / 1000;
  trainer.dispose();
  net.dispose();
  const threads = backend.startsWith('tensorflow') ? tensorflowThreads : undefined;
  const imagesPerSecond = (steps * batchSize) / seconds;
  emit({
    bench: 'finetune_images_per_second',
    model,
    backend,
    ...(threads ? { threads } : {}),
    batchSize,
    steps,
    value: imagesPerSecond,
    seconds,
  });
  return { backend, ...(threads ? { threads } : {}), model, batchSize, imagesPerSecond };
}

const NATIVE_MODELS = [
  ['lenet-300-100', 128, 400],
  ['resnet-8', 64, 10],
  ['resnet-20', 64, 10],
] as const;

/** `--native-lane`: native TensorFlow's measurements only, printed as JSON lines (run with one thread). */
async function nativeLane(): Promise<void> {
  for (const [model, batchSize, steps] of NATIVE_MODELS)
    await finetuneThroughput('tensorflow', model, batchSize, steps);
}

/**
 * Native TensorFlow again on one intra-op thread (TensorFlow reads TF_NUM_INTRAOP_THREADS when it
 * starts, so in a process of its own): what PyTorch's one-thread numbers compare with.
 */
function oneThreadNativeLane(): LthThroughput[] {
  const res = spawnSync(process.execPath, [__filename, '--native-lane'], {
    encoding: 'utf8',
    env: { ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' },
    timeout: 600_000,
  });
  if (res.status !== 0) throw new Error(`the one-thread native lane failed: ${res.stderr.trim().split('\n').pop()}`);
  const lines = res.stdout.split('\n').filter((l) => l.startsWith('{"bench"'));
  for (const line of lines) process.stdout.write(`${line}\n`);
  return lines
    .map((l) => JSON.parse(l) as { model: string; batchSize: number; value: number })
    .map((m) => ({
      backend: 'tensorflow',
      threads: 1,
      model: m.model,
      batchSize: m.batchSize,
      imagesPerSecond: m.value,
    }));
}

function globalPrune(): void {
  const rng = createRng(7);
  const weights: WeightTensor[] = Array.from({ length: 50 }, (_, i) => {
    const values = new Float32Array(500_000);
    for (let j = 0; j < values.length; j++) values[j] = rng.normal();
    return { name: `layer${i}/kernel`, shape: [500_000], values };
  });
  const policy = { strategy: 'global' as const, rate: 0.2, excludePatterns: [], pruneStem: false };
  const first = pruneByMagnitude(weights, undefined, policy);
  const started = performance.now();
  pruneByMagnitude(weights, first, policy);
  emit({
    bench: 'global_prune_seconds',
    weights: 25_000_000,
    tensors: 50,
    value: (performance.now() - started) / 1000,
  });
}

/** Batch sizes the data path is measured at: a LeNet step's, and a large one. */
const STREAM_BATCH_SIZES = [256, 2048];
/** Streams per measurement; the median is reported (the first streams of a process run colder). */
const STREAM_REPEATS = 9;
/** fashion-mnist's training split: what one stream of the data service sends. */
const TRAIN_EXAMPLES = 55_000;
const EXAMPLE_BYTES = 28 * 28 + 1;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number): number => Math.round(n * 10) / 10;

/** Streams fashion-mnist's training split from the data service at `address`, per batch size. */
async function streamFrom(address: string, server: 'in-process' | 'own process'): Promise<void> {
  const channel = openChannel(address);
  const client = dataClient(channel);
  try {
    for (const batchSize of STREAM_BATCH_SIZES) {
      const runs: number[] = [];
      let bytes = 0;
      for (let r = 0; r < STREAM_REPEATS; r++) {
        const started = performance.now();
        bytes = 0;
        const call = client.streamBatches({
          dataset: 'fashion-mnist',
          split: splitEnum('train'),
          seed: r,
          batchSize,
          shuffle: true,
          shardIndex: 0,
          shardCount: 1,
          maxExamples: 0,
        });
        for await (const b of call) bytes += b.pixels.length + b.labels.length;
        runs.push(bytes / 1e6 / ((performance.now() - started) / 1000));
      }
      const value = round(median(runs));
      emit({ bench: 'data_stream_megabytes_per_second', server, batchSize, bytes, value, runs: runs.map(round) });
    }
  } finally {
    channel.close();
  }
}

/** The same bytes in messages of the same size, from a bare `transport` server in its own process. */
async function streamCeiling(transport: Transport): Promise<void> {
  const ceiling = await startCeilingServer(transport);
  try {
    for (const batchSize of STREAM_BATCH_SIZES) {
      const messages = Math.ceil(TRAIN_EXAMPLES / batchSize);
      const messageBytes = batchSize * EXAMPLE_BYTES;
      const runs: number[] = [];
      for (let r = 0; r < STREAM_REPEATS; r++) {
        runs.push((messages * messageBytes) / 1e6 / (await ceiling.stream(messageBytes, messages)));
      }
      const value = round(median(runs));
      emit({
        bench: `${transport}_stream_ceiling_megabytes_per_second`,
        batchSize,
        messageBytes,
        value,
        runs: runs.map(round),
      });
    }
  } finally {
    ceiling.stop();
  }
}

/**
 * The data path twice: the service in this process (client and server share one thread), and the
 * service as its own process, as `lth run` and the cluster run it (each side has a core); then
 * the transport's ceilings, bare grpc-js and bare HTTP/2, with the same client process.
 */
async function dataStream(): Promise<void> {
  const store = join(tmpdir(), 'lth-bench-store');
  const { server } = await serve('data', { listen: '127.0.0.1:0', store, preload: ['fashion-mnist'], log: pino });
  try {
    await streamFrom(server.address, 'in-process');
  } finally {
    await server.shutdown(1000);
  }
  const services = await startLocalServices({
    programs: PROGRAMS,
    storeRoot: store,
    finetuneReplicas: 1,
    env: { LTH_CACHE: CACHE_DIR },
    dataFlags: ['--preload', 'fashion-mnist'],
  });
  try {
    await streamFrom(services.replicas[0]!.data, 'own process');
  } finally {
    await services.stop();
  }
  await streamCeiling('grpc');
  await streamCeiling('http2');
}

async function main(): Promise<void> {
  if (process.argv.includes('--native-lane')) return nativeLane();
  if (process.argv.includes('--data-path')) return dataStream();
  globalPrune();
  await dataStream();
  const available: BackendName[] = [];
  for (const b of ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const) {
    try {
      await initBackend(b);
      available.push(b);
    } catch {
      emit({ bench: 'backend_unavailable', backend: b });
    }
  }
  const measured: LthThroughput[] = [];
  for (const backend of available) {
    // Plain JS convolutions take tens of seconds a step: one small step says enough.
    if (backend === 'cpu') {
      measured.push(await finetuneThroughput(backend, 'lenet-300-100', 128, 10));
      measured.push(await finetuneThroughput(backend, 'resnet-8', 16, 1));
      continue;
    }
    // A LeNet step takes milliseconds: enough of them that timer and scheduling noise stay small.
    measured.push(await finetuneThroughput(backend, 'lenet-300-100', 128, backend === 'wasm' ? 50 : 400));
    measured.push(await finetuneThroughput(backend, 'resnet-8', 64, 10));
    measured.push(await finetuneThroughput(backend, 'resnet-20', 64, backend === 'wasm' ? 4 : 10));
  }
  if (available.includes('tensorflow') && threadsOf('tensorflow') > 1) measured.push(...oneThreadNativeLane());
  if (process.argv.includes('--torch')) torchLane(measured);
  await campaignOverhead();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
