import { PRETRAINING_TICKETS } from '../spec/campaign-schema';
import type { WithBranches } from './branch-aggregates';
import {
  aggregateReplicates,
  type MatchingRule,
  type ReplicateResult,
  type SettingAggregate,
} from './replicate-aggregates';

/**
 * The transfer of one setting's tickets from where they were found (`from`: a task, or
 * `pretraining-tickets`) to another task (`task`), over replicates.
 */
export type TransferAggregate = SettingAggregate & { from: string };

/**
 * The transfer matrix: each setting's tickets on each target task, averaged over the replicates round by
 * round. Matching is judged against the dense transfer (round 0: θ_p fine-tuned on the target), under
 * the same rule as the settings.
 */
export function aggregateTransfers(experiments: readonly WithBranches[], rule: MatchingRule): TransferAggregate[] {
  const bySource = new Map<string, { from: string; rows: ReplicateResult[] }>();
  for (const e of experiments) {
    const targets = new Set(e.branches.filter((b) => b.kind === 'transfer').map((b) => b.task));
    for (const to of targets) {
      const rounds = e.branches.filter((b) => b.kind === 'transfer' && b.task === to);
      const from = e.objective === 'pretraining' ? PRETRAINING_TICKETS : e.task;
      const entry = bySource.get(from) ?? { from, rows: [] };
      entry.rows.push({ model: e.model, pretraining: e.pretraining, task: to, rewind: e.rewind, seed: e.seed, rounds });
      bySource.set(from, entry);
    }
  }
  return [...bySource.values()].flatMap(({ from, rows }) =>
    aggregateReplicates(rows, rule).map((setting) => ({ from, ...setting, branches: [] })),
  );
}
