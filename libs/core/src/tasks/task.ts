import type { Experiment, Pretraining } from '../spec/expand-campaign';

/**
 * A unit of work: one pre-training, or one IMP round of one experiment. The local runner runs
 * a task as a child process, the Kubernetes controller as a Job; both run the same driver.
 */
export type Task =
  { kind: 'pretraining'; pretraining: Pretraining } | { kind: 'round'; experiment: Experiment; round: number };

/** A task's stable name within a campaign: its attempts are counted under it. */
export function taskKey(task: Task): string {
  return task.kind === 'pretraining'
    ? `pretraining/${task.pretraining.id}`
    : `round/${task.experiment.id}/${task.round}`;
}

/** For people: "pre-training sup" or "round 3 of experiment 87d22cb90a46bddc". */
export function describeTask(task: Task): string {
  return task.kind === 'pretraining'
    ? `pre-training ${task.pretraining.name}`
    : `round ${task.round} of experiment ${task.experiment.id}`;
}
