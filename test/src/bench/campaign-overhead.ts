import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, expandCampaign, lastRound, parseCampaign } from '@lth/core';
import { ChildProcessExecutor, runCampaign, startLocalServices } from '@lth/local';
import { ArtifactStore } from '@lth/store';
import { batchTensors, initBackend, MaskedTrainer, Network, tf, type BackendName } from '@lth/tensor';
import { CACHE_DIR, PROGRAMS, tempDir } from '../integration/harness';
import { OPTIMIZER } from '../integration/calls';
import { emit } from './emit';

/** The work both sides do: two replicates of ResNet-8 IMP on MNIST, three rounds, 3,500 images a round. */
const CAMPAIGN = `
name: overhead
models: [resnet-8]
pretrainings: [{ name: scratch, kind: none }]
tasks: [mnist]
seeds: [0, 1]
imp: { rounds: 2 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 3500 }
evaluation: { maxExamples: 500 }
parallelism: 2
`;
const INPUT = { height: 28, width: 28, channels: 1 };

/** Peak resident memory of a process so far (Linux VmHWM). */
async function peakRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN) * 1024;
}

/** A metric summed over processes, read from their /metrics. */
async function sumOf(processes: { metrics?: string }[], metric: string): Promise<number> {
  let sum = 0;
  for (const p of processes) {
    const text = await (await fetch(`http://${p.metrics!}/metrics`)).text();
    sum += Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  }
  return sum;
}

/** The same training, steps and batch, in this process with nothing around it: the upper bound. */
async function bareLoop(backend: BackendName, images: number, runs: number): Promise<number> {
  await initBackend(backend);
  const rng = createRng(1);
  const pixels = Uint8Array.from({ length: 64 * 784 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: 64 }, () => rng.int(10));
  const started = performance.now();
  for (let r = 0; r < runs; r++) {
    const net = new Network('resnet-8', INPUT, 10);
    net.initialize(r);
    const trainer = new MaskedTrainer(net, undefined, OPTIMIZER);
    for (let done = 0; done < images; done += 64) {
      const { x, y } = batchTensors(pixels, labels, { input: INPUT, numClasses: 10 });
      trainer.step(x, y, 0.05);
      tf.dispose([x, y]);
    }
    await trainer.takeMeanLoss();
    trainer.dispose();
    net.dispose();
  }
  return (runs * images) / ((performance.now() - started) / 1000);
}

/**
 * Campaign throughput against a bare loop on the same work (images trained per second), and the
 * peak resident memory of each service: what services, gRPC, the store and the planner cost.
 */
export async function campaignOverhead(): Promise<void> {
  const spec = parseCampaign(CAMPAIGN);
  const rounds = expandCampaign(spec).length * (lastRound(spec) + 1);
  const images = 3500;
  const storeRoot = join(await tempDir('bench-campaign'), 'store');
  const services = await startLocalServices({
    programs: PROGRAMS,
    storeRoot,
    finetuneReplicas: 2,
    env: { LTH_CACHE: CACHE_DIR },
    dataFlags: ['--preload', 'mnist'],
    metrics: true,
  });
  try {
    const started = performance.now();
    const outcome = await runCampaign(spec, {
      executor: new ChildProcessExecutor(PROGRAMS.driver, storeRoot),
      store: new ArtifactStore(storeRoot),
      replicas: services.replicas,
      parallelism: 2,
    });
    const seconds = (performance.now() - started) / 1000;
    if (outcome.failed.length > 0) throw new Error(`the bench campaign failed: ${outcome.failed[0]!.error}`);
    const campaign = (rounds * images) / seconds;
    for (const p of services.processes)
      emit({ bench: 'service_peak_rss_megabytes', service: p.name, value: (await peakRssBytes(p.pid)) / 2 ** 20 });
    const finetune = services.processes.filter((p) => p.name.startsWith('finetune'));
    const [stepSeconds, waitSeconds] = await Promise.all(
      ['lth_finetune_step_seconds_total', 'lth_finetune_data_wait_seconds_total'].map((m) => sumOf(finetune, m)),
    );
    emit({ bench: 'finetune_data_wait_fraction', backend: services.backend, value: waitSeconds / stepSeconds });
    // The services' backend, whichever this process used last.
    const bare = await bareLoop(services.backend as BackendName, images, rounds);
    emit({ bench: 'campaign_images_per_second', backend: services.backend, rounds, images, value: campaign, seconds });
    emit({ bench: 'bare_loop_images_per_second', backend: services.backend, value: bare });
    emit({ bench: 'campaign_to_bare_loop', backend: services.backend, value: campaign / bare });
  } finally {
    await services.stop();
  }
}
