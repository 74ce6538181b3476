import {
  Counter,
  Gauge,
  Histogram,
  LONG_BUCKETS,
  processMetrics,
  Registry,
  RPC_BUCKETS,
  syncedCounter,
} from '@lth/metrics';
import { GrpcStatus } from '@lth/grpc-kit';
import type { StoreCounters } from '@lth/store';
import { tf } from '@lth/tensor';
import type { DataServiceStats } from './data-service';
import type { FineTuneStats } from './finetune-service';

/**
 * Every metric a service exports, in one place. Labels come from closed sets only: service,
 * method, gRPC code, backend. Current-state gauges are read at scrape time.
 */
export interface ServiceMetrics {
  registry: Registry;
  /** For HandlerOptions.onDone: one finished RPC. */
  onDone(method: string, code: number, seconds: number): void;
}

export interface ServiceMetricSources {
  service: string;
  backend: () => string;
  /** Given a GPU, computing on the CPU (false for services that do not expect one). */
  gpuMissing?: () => boolean;
  store: StoreCounters;
  data?: DataServiceStats;
  finetune?: FineTuneStats;
  /** Whether TF.js runs in this process (fine-tuning, evaluation). */
  tensors: boolean;
}

export function createServiceMetrics(src: ServiceMetricSources): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: src.service });
  processMetrics(registry);
  const handled = new Counter({
    name: 'lth_grpc_server_handled_total',
    help: 'RPCs finished, by method and gRPC status code.',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const handling = new Histogram({
    name: 'lth_grpc_server_handling_seconds',
    help: 'Time to finish an RPC, by method.',
    labelNames: ['method'],
    buckets: RPC_BUCKETS,
    registers: [registry],
  });
  const pruning = new Histogram({
    name: 'lth_pruning_duration_seconds',
    help: 'Time to compute a mask (Prune, RandomPrune, ReverseMask).',
    buckets: RPC_BUCKETS,
    registers: [registry],
  });
  const evaluation = new Histogram({
    name: 'lth_evaluation_duration_seconds',
    help: 'Time to evaluate weights under a mask on a split.',
    buckets: LONG_BUCKETS,
    registers: [registry],
  });
  const training = new Histogram({
    name: 'lth_finetune_duration_seconds',
    help: 'Time of a whole fine-tuning (or pre-training) call.',
    buckets: LONG_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'lth_backend_info',
    help: 'The TF.js backend this process computes on (1 for the one in use).',
    labelNames: ['backend'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ backend: src.backend() }, 1);
    },
  });
  new Gauge({
    name: 'lth_gpu_missing',
    help: '1 when this pod was given a GPU (LTH_EXPECT_GPU) but TensorFlow computes on the CPU.',
    registers: [registry],
    collect() {
      this.set(Number(src.gpuMissing?.() ?? false));
    },
  });
  syncedCounter(
    registry,
    'lth_store_read_bytes_total',
    'Bytes read from the artifact store (verified).',
    () => src.store.bytesRead,
  );
  syncedCounter(
    registry,
    'lth_store_written_bytes_total',
    'Bytes written to the artifact store.',
    () => src.store.bytesWritten,
  );
  syncedCounter(
    registry,
    'lth_store_digest_failures_total',
    'Artifacts refused because their bytes did not match their digest.',
    () => src.store.digestFailures,
  );
  if (src.data) {
    const data = src.data;
    syncedCounter(
      registry,
      'lth_data_streamed_bytes_total',
      'Pixel and label bytes streamed to clients.',
      () => data.bytesStreamed,
    );
  }
  if (src.finetune) {
    const ft = src.finetune;
    syncedCounter(registry, 'lth_finetune_steps_total', 'Training steps taken.', () => ft.steps);
    syncedCounter(registry, 'lth_finetune_images_total', 'Images trained on.', () => ft.images);
    syncedCounter(
      registry,
      'lth_finetune_step_seconds_total',
      'Time spent in training steps (tensors of the batch, forward, backward, update).',
      () => ft.stepSeconds,
    );
    syncedCounter(
      registry,
      'lth_finetune_data_wait_seconds_total',
      'Time training waited for its next batch from the data service.',
      () => ft.dataWaitSeconds,
    );
    new Gauge({
      name: 'lth_finetune_images_per_second',
      help: 'Training throughput over the last progress interval (0 when idle).',
      registers: [registry],
      collect() {
        this.set(ft.imagesPerSecond);
      },
    });
  }
  if (src.tensors) {
    new Gauge({
      name: 'lth_tfjs_tensors',
      help: 'Live TF.js tensors (a leak shows as a rising line).',
      registers: [registry],
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    new Gauge({
      name: 'lth_tfjs_bytes',
      help: 'Bytes held by live TF.js tensors.',
      registers: [registry],
      collect() {
        this.set(tf.memory().numBytes);
      },
    });
  }
  return {
    registry,
    onDone(method, code, seconds) {
      handled.inc({ method, code: GrpcStatus[code] ?? String(code) });
      handling.observe({ method }, seconds);
      if (code !== 0) return;
      if (method === 'Prune' || method === 'RandomPrune' || method === 'ReverseMask') pruning.observe(seconds);
      if (method === 'Evaluate') evaluation.observe(seconds);
      if (method === 'FineTune') training.observe(seconds);
    },
  };
}
