import { winningSparsity, type Experiment, type ExperimentScience, type PretrainingPlan, type RoundResult, type StoreProgress } from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import { finishedRounds } from '../finished-rounds';
import { refs } from '../records';

/** What the artifact store says is finished, and what the finished rounds say so far. */
export async function readStoreProgress(
  store: ArtifactStore,
  experiments: readonly Experiment[],
  plans: readonly PretrainingPlan[],
): Promise<{ progress: StoreProgress; science: Map<string, ExperimentScience> }> {
  const pretrainingsDone = new Set<string>();
  for (const p of plans) if (await store.getRef(refs.pretraining(p.id))) pretrainingsDone.add(p.id);
  const roundsDone = new Map<string, number>();
  const science = new Map<string, ExperimentScience>();
  for (const e of experiments) {
    const rounds: RoundResult[] = await finishedRounds(store, e);
    roundsDone.set(e.id, rounds.length);
    const last = rounds[rounds.length - 1];
    if (last) {
      science.set(e.id, {
        sparsity: last.sparsity,
        testAccuracy: last.testAccuracy,
        winningSparsity: winningSparsity(rounds),
        denseAccuracy: rounds[0]?.testAccuracy ?? null,
        rounds: rounds.map((r) => ({ round: r.round, sparsity: r.sparsity, testAccuracy: r.testAccuracy })),
      });
    }
  }
  return { progress: { pretrainingsDone, roundsDone }, science };
}
