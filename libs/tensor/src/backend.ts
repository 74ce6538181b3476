import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, quote } from '@lth/core';
import { registerWasmConv2DBackpropFilter } from './wasm-conv-backprop-filter';
import { registerWasmConv2DBackpropInput } from './wasm-conv-backprop-input';
import { registerTensorflowReluGrad } from './tensorflow-relu-grad';
import { registerTensorflowDense } from './tensorflow-dense';
import { registerTensorflowSoftmaxCrossEntropy } from './tensorflow-softmax-cross-entropy';

/**
 * The one place that knows about TF.js backends. Everything else writes backend-neutral
 * TF.js, so code that trains on wasm here runs unchanged on tfjs-node-gpu in a cluster.
 */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

export interface BackendReport {
  backend: BackendName;
  /**
   * Where the ops run. tfjs-node-gpu falls back to the CPU, with only a TensorFlow log line, when
   * CUDA or the device is missing; its backend knows which (`isUsingGpuDevice`).
   */
  device: 'gpu' | 'cpu';
  /** Backends tried before this one, and why each did not load. */
  skipped: { backend: BackendName; reason: string }[];
}

// A computed name keeps bundlers and the type checker from resolving packages that are only
// installed in cluster images.
function optionalRequire(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(name);
}

async function load(backend: BackendName): Promise<void> {
  switch (backend) {
    case 'tensorflow-gpu':
      optionalRequire('@tensorflow/tfjs-node-gpu');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
      registerTensorflowKernels();
      return;
    case 'tensorflow':
      optionalRequire('@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
      registerTensorflowKernels();
      return;
    case 'wasm':
      optionalRequire('@tensorflow/tfjs-backend-wasm');
      registerWasmConv2DBackpropFilter();
      registerWasmConv2DBackpropInput();
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
      return;
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
      return;
  }
}

let tensorflowKernelsRegistered = false;

/** lth's kernels and gradients for native TensorFlow: fused ops where tfjs composes many small ones. */
function registerTensorflowKernels(): void {
  if (tensorflowKernelsRegistered) return;
  tensorflowKernelsRegistered = true;
  registerTensorflowReluGrad();
  registerTensorflowDense();
  registerTensorflowSoftmaxCrossEntropy();
}

let active: BackendReport | undefined;

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const v = value ?? 'auto';
  if (v === 'auto' || (BACKENDS as readonly string[]).includes(v)) return v as BackendChoice;
  throw new InvalidArgumentError(`LTH_BACKEND ${quote(v)} is not one of auto, ${BACKENDS.join(', ')}`);
}

/**
 * Picks the backend: `auto` takes the first that loads of native GPU, native CPU, wasm and
 * plain JS; a named one must load or this fails. Idempotent within a process.
 */
export async function initBackend(
  choice: BackendChoice = parseBackendChoice(process.env['LTH_BACKEND']),
): Promise<BackendReport> {
  if (active && (choice === 'auto' || choice === active.backend)) return active;
  const order: BackendName[] = choice === 'auto' ? [...BACKENDS] : [choice];
  const skipped: BackendReport['skipped'] = [];
  for (const backend of order) {
    try {
      await load(backend);
      await tf.ready();
      const gpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
      active = { backend, device: gpu ? 'gpu' : 'cpu', skipped };
      return active;
    } catch (e) {
      skipped.push({ backend, reason: (e as Error).message.split('\n')[0]! });
    }
  }
  throw new Error(`no TF.js backend loaded: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

export function activeBackend(): BackendName {
  if (!active) throw new Error('initBackend() has not run');
  return active.backend;
}

/** The wasm backend's memory is a 32-bit WebAssembly memory: 4 GiB at most, whatever the machine has. */
const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

/**
 * Bytes the active backend can give one training or evaluation: wasm's 4 GiB, most of this
 * machine's memory on the CPU backends; unknown on a GPU (the device's memory is not visible
 * here). LTH_TRAINING_MEMORY_BYTES overrides it (a GPU's memory, or a container's limit).
 */
export function memoryBudgetBytes(): number | undefined {
  const configured = Number(process.env['LTH_TRAINING_MEMORY_BYTES']);
  if (configured > 0) return configured;
  switch (activeBackend()) {
    case 'wasm':
      return WASM_MEMORY_BYTES;
    case 'tensorflow':
    case 'cpu':
      return totalmem() * 0.8;
    case 'tensorflow-gpu':
      return undefined;
  }
}

/**
 * Whether the backend still computes: after an allocation failure, wasm's memory can be left
 * unusable (every later op fails) and only a new process recovers.
 */
export function backendUsable(): boolean {
  try {
    const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
    const ok = sum.dataSync()[0] === 3;
    sum.dispose();
    return ok;
  } catch {
    return false;
  }
}
