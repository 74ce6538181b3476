import {
  pretrainingsOf,
  summarizeExperiment,
  type CampaignResults,
  type Experiment,
  type RoundResult,
  type ScoredRound,
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

/**
 * What an executor has already seen of the store. A finished record never changes, so each is read
 * (and its digest verified) once; a pass only asks for the next round of each experiment. Holds the
 * numbers a status needs, not whole records, so a controller of many campaigns stays small.
 */
export class StoreProgressCache {
  private readonly pretrainingsDone = new Set<string>();
  private readonly scored = new Map<string, ScoredRound[]>();

  /** How many rounds of an experiment the cache has seen finished; undefined before its first read. */
  roundsKnown(experimentId: string): number | undefined {
    return this.scored.get(experimentId)?.length;
  }

  /** `unchanged(id)`: the caller knows the experiment has written nothing since the last pass. */
  async read(
    store: ArtifactStore,
    experiments: readonly Experiment[],
    lastRound: number,
    unchanged: (experimentId: string) => boolean = () => false,
  ): Promise<{ progress: StoreProgress; rounds: Map<string, ScoredRound[]> }> {
    const pretrainingsDone = new Set<string>();
    for (const p of pretrainingsOf(experiments)) {
      if (!this.pretrainingsDone.has(p.id) && (await store.getRef(refs.pretraining(p.id))))
        this.pretrainingsDone.add(p.id);
      if (this.pretrainingsDone.has(p.id)) pretrainingsDone.add(p.id);
    }
    const rounds = new Map<string, ScoredRound[]>();
    for (const e of experiments) {
      const known = this.scored.get(e.id) ?? [];
      while (known.length <= lastRound && !(this.scored.has(e.id) && unchanged(e.id))) {
        const digest = await store.getRef(refs.round(e.id, known.length));
        if (!digest) break;
        const { round, sparsity, testAccuracy } = await store.getJson<RoundRecord>(digest);
        known.push({ round, sparsity, testAccuracy });
      }
      this.scored.set(e.id, known);
      rounds.set(e.id, known.slice(0, lastRound + 1));
    }
    const roundsDone = new Map([...rounds].map(([id, r]) => [id, r.length]));
    return { progress: { pretrainingsDone, roundsDone }, rounds };
  }
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
