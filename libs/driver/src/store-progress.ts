import {
  pretrainingsOf,
  summarizeExperiment,
  type CampaignResults,
  type Experiment,
  type RoundResult,
  type StoreProgress,
} from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import { refs, type RoundRecord } from './records';

/** The finished rounds 0..lastRound of an experiment, in order, as the store has them. */
export async function finishedRounds(
  store: ArtifactStore,
  experiment: Experiment,
  lastRound: number,
): Promise<RoundRecord[]> {
  const out: RoundRecord[] = [];
  for (let r = 0; r <= lastRound; r++) {
    const ref = await store.getRef(refs.round(experiment.id, r));
    if (!ref) break;
    out.push(await store.getJson<RoundRecord>(ref));
  }
  return out;
}

/** What the store has finished: the planner's input, with every finished round. */
export async function readStoreProgress(
  store: ArtifactStore,
  experiments: readonly Experiment[],
  lastRound: number,
): Promise<{ progress: StoreProgress; rounds: Map<string, RoundRecord[]> }> {
  const pretrainingsDone = new Set<string>();
  for (const p of pretrainingsOf(experiments))
    if (await store.getRef(refs.pretraining(p.id))) pretrainingsDone.add(p.id);
  const rounds = new Map<string, RoundRecord[]>();
  for (const e of experiments) rounds.set(e.id, await finishedRounds(store, e, lastRound));
  const roundsDone = new Map([...rounds].map(([id, r]) => [id, r.length]));
  return { progress: { pretrainingsDone, roundsDone }, rounds };
}

/** What results.json says of a round: the published subset of its record. */
function roundResult(r: RoundRecord): RoundResult {
  const { round, sparsity, density, remainingWeights, testAccuracy, testLoss, trainSeconds } = r;
  return {
    round,
    sparsity,
    density,
    remainingWeights,
    testAccuracy,
    testLoss,
    trainSeconds,
    maskDigest: r.maskDigest,
    weightsDigest: r.weightsDigest,
  };
}

/** A campaign's results: every finished round up to the last one asked for, from the store. */
export async function collectResults(
  campaign: string,
  experiments: readonly Experiment[],
  lastRound: number,
  store: ArtifactStore,
): Promise<CampaignResults> {
  let backend = 'unknown';
  const out = [];
  for (const e of experiments) {
    const records = await finishedRounds(store, e, lastRound);
    const rounds = records.map((r) => {
      backend = r.backend;
      return roundResult(r);
    });
    const s = e.settings;
    const identity = {
      id: e.id,
      model: s.model,
      pretraining: s.pretraining.name,
      task: s.task,
      seed: s.seed,
      rewind: s.rewind,
    };
    out.push(summarizeExperiment({ ...identity, rounds }));
  }
  return { campaign, backend, experiments: out };
}
