import { settingsId } from '../canonical';
import { withoutDefaults } from '../canonical';
import {
  BRANCH_KINDS,
  PRETRAINING_TICKETS,
  TRAINING_DEFAULTS,
  type CampaignSpec,
  type TrainingSpec,
} from './campaign-schema';
import type { DatasetSource } from './dataset-source';
import type { Experiment } from './expand-campaign';

/** A branch of a round: one of the campaign's baselines, or a transfer of the round's ticket to another task. */
export type BranchKind = (typeof BRANCH_KINDS)[number] | 'transfer';

/**
 * One branch of one round of an experiment: a single fine-tuning and evaluation from a mask (and init)
 * derived from the round's. Its id covers the experiment, the round, the kind and, for a transfer, the
 * target task: a branch is computed once, whichever campaign asks for it.
 */
export interface BranchRun {
  id: string;
  experiment: Experiment;
  round: number;
  kind: BranchKind;
  /** Where it trains and is evaluated: the experiment's own task, or a transfer's target. */
  task: string;
  /** The target task's files, when it is a dataset of the campaign's `datasets:` section. */
  taskSource?: DatasetSource;
  /**
   * How it fine-tunes: the campaign's downstream recipe (`finetune`), which a pre-training ticket's own
   * rounds do not use.
   */
  finetune: TrainingSpec;
}

function branchRun(experiment: Experiment, round: number, kind: BranchKind, target?: DatasetTarget): BranchRun {
  const task = target?.task ?? experiment.settings.task;
  const taskSource = target ? target.source : experiment.settings.taskSource;
  const finetune = target?.finetune ?? experiment.settings.finetune;
  const id = settingsId({
    experiment: experiment.id,
    round,
    kind,
    task: target?.task,
    taskSource: target?.source,
    // The experiment's id covers its own recipe; a transfer may fine-tune by another.
    finetune:
      target && finetune !== experiment.settings.finetune ? withoutDefaults(finetune, TRAINING_DEFAULTS) : undefined,
  });
  return { id, experiment, round, kind, task, ...(taskSource ? { taskSource } : {}), finetune };
}

interface DatasetTarget {
  task: string;
  source: DatasetSource | undefined;
  finetune: TrainingSpec;
}

function upTo(lastRound: number, from: number, listed: readonly number[] | undefined): number[] {
  const all = Array.from({ length: lastRound + 1 - from }, (_, i) => from + i);
  return listed ? all.filter((r) => listed.includes(r)) : all;
}

/**
 * Every branch a campaign asks for, per experiment in round order: its `branches` at the pruned rounds
 * they name (default: all) of downstream experiments, and its `transfer` of each round's mask from each
 * `from` task's experiments (and the pre-training tickets) to each `to` task other than their own
 * (default rounds: all, the dense round 0 included).
 */
export function branchRunsOf(spec: CampaignSpec, experiments: readonly Experiment[], lastRound: number): BranchRun[] {
  const out: BranchRun[] = [];
  const { transfer } = spec;
  const sources = transfer?.from ?? [...spec.tasks, PRETRAINING_TICKETS];
  for (const e of experiments) {
    const runs: BranchRun[] = [];
    const downstream = e.settings.objective === 'downstream';
    // Baselines are of downstream tickets; pre-training tickets are judged by where they transfer.
    for (const b of downstream ? spec.branches : []) {
      for (const round of upTo(lastRound, 1, b.rounds)) runs.push(branchRun(e, round, b.kind));
    }
    if (transfer && sources.includes(transferSourceOf(e))) {
      for (const task of transfer.to) {
        // A downstream experiment's own rounds are its transfer to its own task.
        if (downstream && task === e.settings.task) continue;
        const target = { task, source: spec.datasets.find((d) => d.name === task), finetune: spec.finetune };
        for (const round of upTo(lastRound, 0, transfer.rounds)) runs.push(branchRun(e, round, 'transfer', target));
      }
    }
    out.push(...runs.sort((a, b) => a.round - b.round));
  }
  return out;
}

/** What `transfer.from` calls an experiment's tickets: its task, or `pretraining-tickets`. */
export function transferSourceOf(e: Experiment): string {
  return e.settings.objective === 'pretraining' ? PRETRAINING_TICKETS : e.settings.task;
}

/** For people: "reversed-mask branch of round 3" or "transfer of round 3 to fashion-mnist". */
export function describeBranch(run: Pick<BranchRun, 'kind' | 'round' | 'task'>): string {
  return run.kind === 'transfer'
    ? `transfer of round ${run.round} to ${run.task}`
    : `${run.kind} branch of round ${run.round}`;
}
