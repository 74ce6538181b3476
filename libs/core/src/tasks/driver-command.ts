import type { Task } from './task';
/**
 * The driver's command line and exit codes: the one definition that the local runner (child
 * processes), the Job manifests and the driver itself (apps/driver) share.
 */

/** A task as the driver receives it: its settings named by digest in the shared store. */
export type TaskRef =
  | { kind: 'pretraining'; pretrainingDigest: string }
  | { kind: 'round'; experimentDigest: string; round: number }
  | { kind: 'branch'; branchDigest: string };

export interface ServiceAddresses {
  data: string;
  pruning: string;
  finetune: string;
  evaluation: string;
}

export const DRIVER_EXIT = {
  done: 0,
  /** Anything retrying may fix: a service that went away, a node that died. */
  failed: 1,
  /** Input the driver will never accept (a Job's podFailurePolicy fails the Job at once on it). */
  badInput: 2,
} as const;

/** The driver's arguments for a task, after the program name. */
export function driverArgs(task: TaskRef, services: ServiceAddresses, storeRoot: string): string[] {
  const taskArgs =
    task.kind === 'pretraining'
      ? ['--pretraining', task.pretrainingDigest]
      : task.kind === 'branch'
        ? ['--branch', task.branchDigest]
        : ['--experiment', task.experimentDigest, '--round', String(task.round)];
  return [
    ...taskArgs,
    '--store',
    storeRoot,
    '--data',
    services.data,
    '--pruning',
    services.pruning,
    '--finetune',
    services.finetune,
    '--evaluation',
    services.evaluation,
  ];
}

/** How the driver is told of a task whose settings (`taskSettings(task)`) the store holds under `digest`. */
export function taskRefOf(task: Task, digest: string): TaskRef {
  switch (task.kind) {
    case 'pretraining':
      return { kind: 'pretraining', pretrainingDigest: digest };
    case 'round':
      return { kind: 'round', experimentDigest: digest, round: task.round };
    case 'branch':
      return { kind: 'branch', branchDigest: digest };
  }
}
