import { describeBranch, type BranchRun } from '../spec/branch-runs';
import type { Experiment, Pretraining } from '../spec/expand-campaign';

/**
 * A unit of work: one pre-training, one IMP round of one experiment, or one branch of a finished round.
 * The local runner runs a task as a child process, the Kubernetes controller as a Job; both run the same
 * driver.
 */
export type Task =
  | { kind: 'pretraining'; pretraining: Pretraining }
  | { kind: 'round'; experiment: Experiment; round: number }
  | { kind: 'branch'; run: BranchRun };

/** A task's stable name within a campaign: its attempts are counted under it. */
export function taskKey(task: Task): string {
  switch (task.kind) {
    case 'pretraining':
      return `pretraining/${task.pretraining.id}`;
    case 'round':
      return `round/${task.experiment.id}/${task.round}`;
    case 'branch':
      return `branch/${task.run.id}`;
  }
}

/** For people: "pre-training sup", "round 3 of experiment 87d22cb90a46bddc", "transfer of round 2 to mnist of …". */
export function describeTask(task: Task): string {
  switch (task.kind) {
    case 'pretraining':
      return `pre-training ${task.pretraining.name}`;
    case 'round':
      return `round ${task.round} of experiment ${task.experiment.id}`;
    case 'branch':
      return `${describeBranch(task.run)} of experiment ${task.run.experiment.id}`;
  }
}

/** The settings a task's driver reads from the store (by digest): what the task is. */
export function taskSettings(task: Task): Pretraining | Experiment | BranchRun {
  switch (task.kind) {
    case 'pretraining':
      return task.pretraining;
    case 'round':
      return task.experiment;
    case 'branch':
      return task.run;
  }
}

/** The id under which an executor forgets what it saw of a task's inputs when the task fails. */
export function taskSubject(task: Task): string {
  switch (task.kind) {
    case 'pretraining':
      return task.pretraining.id;
    case 'round':
      return task.experiment.id;
    case 'branch':
      return task.run.experiment.id;
  }
}
