import { settingsId } from '../canonical';
import { BRANCH_KINDS, type CampaignSpec } from './campaign-schema';
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
}

function branchRun(experiment: Experiment, round: number, kind: BranchKind, target?: DatasetTarget): BranchRun {
  const task = target?.task ?? experiment.settings.task;
  const taskSource = target ? target.source : experiment.settings.taskSource;
  const id = settingsId({ experiment: experiment.id, round, kind, task: target?.task, taskSource: target?.source });
  return { id, experiment, round, kind, task, ...(taskSource ? { taskSource } : {}) };
}

interface DatasetTarget {
  task: string;
  source: DatasetSource | undefined;
}

function upTo(lastRound: number, from: number, listed: readonly number[] | undefined): number[] {
  const all = Array.from({ length: lastRound + 1 - from }, (_, i) => from + i);
  return listed ? all.filter((r) => listed.includes(r)) : all;
}

/**
 * Every branch a campaign asks for, per experiment in round order: its `branches` at the pruned rounds
 * they name (default: all), and its `transfer` of each round's mask from each `from` task's experiments to
 * each `to` task other than their own (default rounds: all, the dense round 0 included).
 */
export function branchRunsOf(spec: CampaignSpec, experiments: readonly Experiment[], lastRound: number): BranchRun[] {
  const out: BranchRun[] = [];
  const { transfer } = spec;
  for (const e of experiments) {
    const runs: BranchRun[] = [];
    for (const b of spec.branches) {
      for (const round of upTo(lastRound, 1, b.rounds)) runs.push(branchRun(e, round, b.kind));
    }
    if (transfer && (transfer.from ?? spec.tasks).includes(e.settings.task)) {
      for (const task of transfer.to) {
        if (task === e.settings.task) continue; // the experiment's own rounds are that transfer
        const target = { task, source: spec.datasets.find((d) => d.name === task) };
        for (const round of upTo(lastRound, 0, transfer.rounds)) runs.push(branchRun(e, round, 'transfer', target));
      }
    }
    out.push(...runs.sort((a, b) => a.round - b.round));
  }
  return out;
}

/** For people: "reversed-mask branch of round 3" or "transfer of round 3 to fashion-mnist". */
export function describeBranch(run: Pick<BranchRun, 'kind' | 'round' | 'task'>): string {
  return run.kind === 'transfer'
    ? `transfer of round ${run.round} to ${run.task}`
    : `${run.kind} branch of round ${run.round}`;
}
