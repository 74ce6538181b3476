import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { emit } from './emit';

/** One lth training measurement, to be compared with PyTorch on the same model and batch. */
export interface LthThroughput {
  backend: string;
  /** Threads it computed on, when not the backend's default (threadsOf). */
  threads?: number;
  model: string;
  batchSize: number;
  imagesPerSecond: number;
}

const SCRIPT = resolve(__dirname, '../../src/bench/torch_lane.py');
/** Debian's python3, where python3-torch lives; the python3 first on PATH is another build. */
const PYTHON = process.env['LTH_TORCH_PYTHON'] ?? '/usr/bin/python3';
/** Below this a 64x784x300 matmul runs on the reference BLAS (~6 GFLOP/s), not OpenBLAS (100+). */
const MIN_BLAS_GFLOPS = 30;

function python(args: string[]) {
  return spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 900_000 });
}

/**
 * Which threads a backend computes on: wasm on one; native TensorFlow on one intra-op thread per
 * core (its default). PyTorch runs with the same count.
 */
export function threadsOf(backend: string): number {
  return backend === 'wasm' || backend === 'cpu' ? 1 : availableParallelism();
}

const threadsOfMeasurement = (m: LthThroughput) => m.threads ?? threadsOf(m.backend);

/**
 * The PyTorch lane: checks the BLAS torch got (a reference BLAS makes every ratio a flattering lie)
 * and refuses the lane on it, saying what to install; installs nothing; skips when torch is absent.
 */
export function torchLane(measured: LthThroughput[]): void {
  const check = python(['--blas-check']);
  if (check.status !== 0) {
    const reason = /No module named 'torch'/.test(check.stderr)
      ? `${PYTHON} has no torch: apt-get install python3-torch libopenblas0-pthread`
      : `${PYTHON} failed: ${check.stderr.trim().split('\n').pop()}`;
    emit({ bench: 'torch_lane_skipped', reason });
    return;
  }
  const blas = JSON.parse(check.stdout) as { value: number; torch: string };
  emit({ bench: 'torch_blas_gflops', value: blas.value, torch: blas.torch });
  if (blas.value < MIN_BLAS_GFLOPS) {
    emit({
      bench: 'torch_lane_refused',
      reason:
        `torch's BLAS does ${blas.value.toFixed(1)} GFLOP/s on a 64x784x300 matmul: the reference BLAS; ` +
        'apt-get install libopenblas0-pthread, then run again',
    });
    return;
  }
  const compared = measured.filter((m) => m.backend !== 'cpu');
  for (const threads of [...new Set(compared.map(threadsOfMeasurement))]) {
    const runs = [
      ...new Set(compared.map((m) => `${m.model}:${m.batchSize}:${m.model === 'lenet-300-100' ? 400 : 10}`)),
    ];
    const res = python(['--threads', String(threads), ...runs.flatMap((r) => ['--run', r])]);
    if (res.status !== 0) throw new Error(`the torch lane failed: ${res.stderr.trim().split('\n').pop()}`);
    const torch = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { model: string; batchSize: number; value: number });
    for (const t of torch) {
      emit({ bench: 'torch_images_per_second', ...t, threads });
      for (const m of compared.filter((c) => threadsOfMeasurement(c) === threads && c.model === t.model)) {
        emit({
          bench: 'ratio_to_torch',
          model: m.model,
          backend: m.backend,
          batchSize: m.batchSize,
          threads,
          value: m.imagesPerSecond / t.value,
        });
      }
    }
  }
}
