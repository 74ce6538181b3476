import type { TaskRef, ServiceAddresses } from '@lth/core';
import type { DriverEvent } from '@lth/driver';

/**
 * Starts one attempt of a task on this machine and resolves when it ends. The local runner's
 * counterpart of a Job: the planner decides what runs, the executor only moves it.
 */
export interface Executor {
  run(
    task: TaskRef,
    services: ServiceAddresses,
    onEvent: (event: DriverEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** A failure on input the driver will never accept: the planner does not retry it. */
export class PermanentTaskError extends Error {}
