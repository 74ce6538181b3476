import {
  DRIVER_EXIT,
  InvalidArgumentError,
  taskKey,
  type BranchRun,
  type TaskRef,
  type Experiment,
  type Pretraining,
} from '@lth/core';
import { checkDigest } from '@lth/store';
import { kindOfStatus } from '@lth/grpc-kit';
import type { DriverDeps } from './driver-deps';
import { runPretraining } from './run-pretraining';
import { runRound } from './run-round';
import { runBranch } from './run-branch';
import { refs } from './records';

/** What a finished task left: its key (`round/<experiment>/<n>`) and its record's digest. */
export interface TaskOutcome {
  task: string;
  record: string;
}

/** Runs one task whose settings the store holds by digest. */
export async function runTask(task: TaskRef, deps: DriverDeps): Promise<TaskOutcome> {
  if (task.kind === 'pretraining') {
    const pretraining = await deps.store.getJson<Pretraining>(checkDigest(task.pretrainingDigest, '--pretraining'));
    await runPretraining(pretraining, deps);
    return outcome(deps, taskKey({ kind: 'pretraining', pretraining }), refs.pretraining(pretraining.id));
  }
  if (task.kind === 'branch') {
    const run = await deps.store.getJson<BranchRun>(checkDigest(task.branchDigest, '--branch'));
    await runBranch(run, deps);
    return outcome(deps, taskKey({ kind: 'branch', run }), refs.branch(run.id));
  }
  if (!Number.isInteger(task.round) || task.round < 0)
    throw new InvalidArgumentError(`--round must be a round number, not ${task.round}`);
  const experiment = await deps.store.getJson<Experiment>(checkDigest(task.experimentDigest, '--experiment'));
  await runRound(experiment, task.round, deps);
  const key = taskKey({ kind: 'round', experiment, round: task.round });
  return outcome(deps, key, refs.round(experiment.id, task.round));
}

async function outcome(deps: DriverDeps, task: string, ref: string): Promise<TaskOutcome> {
  return { task, record: (await deps.store.getRef(ref))! };
}

/** The driver's exit code for an error: bad input (retrying cannot help) or a failure. */
export function exitCodeOf(error: unknown): number {
  const e = error as { kind?: string; code?: number };
  const kind = e.kind ?? (typeof e.code === 'number' ? kindOfStatus(e.code) : 'internal');
  const bad = kind === 'invalid-argument' || kind === 'failed-precondition' || kind === 'not-found';
  return bad ? DRIVER_EXIT.badInput : DRIVER_EXIT.failed;
}
