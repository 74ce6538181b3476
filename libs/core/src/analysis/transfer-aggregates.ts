import { PRETRAINING_TICKETS } from '../spec/campaign-schema';
import type { WithBranches } from './branch-aggregates';
import { aggregateReplicates, type ReplicateResult } from './replicate-aggregates';
import type { MatchingRule, TransferAggregate } from './results';

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
