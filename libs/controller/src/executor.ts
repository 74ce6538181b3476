import type { DriverEvent } from './driver-events';
import type { DriverTask } from './records';
import type { ServiceAddresses } from './service-clients';

/**
 * Runs one driver task (a pre-training or an IMP round) somewhere: a local child process here,
 * a Kubernetes Job in a cluster. The task is named by digests; the executor only moves it.
 */
export interface Executor {
  readonly name: string;
  run(task: DriverTask, services: ServiceAddresses, onEvent: (event: DriverEvent) => void, signal?: AbortSignal): Promise<void>;
}

/** A failure of the driver on input it will never accept: retrying cannot help. */
export class PermanentTaskError extends Error {}

/** Exit code of a driver given bad input (a Job's podFailurePolicy fails fast on it). */
export const EXIT_BAD_INPUT = 2;
