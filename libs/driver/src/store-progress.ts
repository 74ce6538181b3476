import {
  aggregateReplicates,
  aggregateTransfers,
  type BranchResult,
  type BranchRun,
  type MatchingRule,
  pretrainingsOf,
  summarizeExperiment,
  type CampaignResults,
  type Experiment,
  type RoundResult,
  type ScoredRound,
  type StoreProgress,
} from '@lth/core';
import { ArtifactCorruptError, type ArtifactStore } from '@lth/store';
import { refs, type BranchRecord, type RoundRecord } from './records';

/** Called for a record whose bytes do not match its digest: that round counts as not finished. */
export type OnCorruptRecord = (what: string, error: ArtifactCorruptError) => void;

/** A finished task's record, or undefined when there is none or it is corrupt (then it runs again). */
async function readRecord<T>(
  store: ArtifactStore,
  ref: string,
  onCorrupt: OnCorruptRecord | undefined,
): Promise<T | undefined> {
  const digest = await store.getRef(ref);
  if (!digest) return undefined;
  try {
    return await store.getJson<T>(digest);
  } catch (e) {
    if (!(e instanceof ArtifactCorruptError)) throw e;
    onCorrupt?.(ref, e);
    return undefined;
  }
}

/**
 * A driver's check before it computes a task: the task's record, or undefined. A corrupt record is
 * withdrawn (its ref removed), so the task is computed again and its ref names a whole record.
 */
export async function ownRecord<T>(store: ArtifactStore, ref: string): Promise<T | undefined> {
  let corrupt = false;
  const record = await readRecord<T>(store, ref, () => (corrupt = true));
  if (corrupt) await store.removeRef(ref);
  return record;
}

/**
 * The finished rounds 0..lastRound of an experiment, in order, as the store has them: up to the
 * first missing or corrupt record.
 */
export async function finishedRounds(
  store: ArtifactStore,
  experiment: Experiment,
  lastRound: number,
  onCorrupt?: OnCorruptRecord,
): Promise<RoundRecord[]> {
  const out: RoundRecord[] = [];
  for (let r = 0; r <= lastRound; r++) {
    const record = await readRecord<RoundRecord>(store, refs.round(experiment.id, r), onCorrupt);
    if (!record) break;
    out.push(record);
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
  private readonly branchesDone = new Set<string>();
  private readonly scored = new Map<string, ScoredRound[]>();

  constructor(private readonly onCorrupt?: OnCorruptRecord) {}

  /**
   * Forgets what was seen of an experiment or pre-training (by id): a task of it failed, maybe
   * because an input it read was corrupt and withdrawn; the next read starts from the store again.
   */
  forget(id: string): void {
    this.scored.delete(id);
    this.pretrainingsDone.delete(id);
  }

  /** How many rounds of an experiment the cache has seen finished; undefined before its first read. */
  roundsKnown(experimentId: string): number | undefined {
    return this.scored.get(experimentId)?.length;
  }

  /**
   * `unchanged(id)`: the caller knows the experiment has written nothing since the last pass. Of the
   * branches, only those of finished rounds not yet seen finished are asked for.
   */
  async read(
    store: ArtifactStore,
    experiments: readonly Experiment[],
    lastRound: number,
    options: { unchanged?: (experimentId: string) => boolean; branchRuns?: readonly BranchRun[] } = {},
  ): Promise<{ progress: StoreProgress; rounds: Map<string, ScoredRound[]> }> {
    const unchanged = options.unchanged ?? (() => false);
    const pretrainingsDone = new Set<string>();
    for (const p of pretrainingsOf(experiments)) {
      if (!this.pretrainingsDone.has(p.id) && (await readRecord(store, refs.pretraining(p.id), this.onCorrupt)))
        this.pretrainingsDone.add(p.id);
      if (this.pretrainingsDone.has(p.id)) pretrainingsDone.add(p.id);
    }
    const rounds = new Map<string, ScoredRound[]>();
    for (const e of experiments) {
      const known = this.scored.get(e.id) ?? [];
      while (known.length <= lastRound && !(this.scored.has(e.id) && unchanged(e.id))) {
        const record = await readRecord<RoundRecord>(store, refs.round(e.id, known.length), this.onCorrupt);
        if (!record) break;
        known.push({ round: record.round, sparsity: record.sparsity, testAccuracy: record.testAccuracy });
      }
      this.scored.set(e.id, known);
      rounds.set(e.id, known.slice(0, lastRound + 1));
    }
    const roundsDone = new Map([...rounds].map(([id, r]) => [id, r.length]));
    const branchesDone = new Set<string>();
    for (const run of options.branchRuns ?? []) {
      if (run.round >= (roundsDone.get(run.experiment.id) ?? 0)) continue;
      if (!this.branchesDone.has(run.id) && (await readRecord(store, refs.branch(run.id), this.onCorrupt)))
        this.branchesDone.add(run.id);
      if (this.branchesDone.has(run.id)) branchesDone.add(run.id);
    }
    return { progress: { pretrainingsDone, roundsDone, branchesDone }, rounds };
  }
}

/** What results.json says of a round or a branch: the published subset of its record. */
function scored(r: RoundRecord | BranchRecord) {
  const { round, sparsity, remainingWeights, testAccuracy, testLoss, trainSeconds, maskDigest, weightsDigest } = r;
  const selected = r.selection && {
    validationAccuracy: r.selection.validationAccuracy,
    selectedEpoch: r.selection.epoch,
    lastTestAccuracy: r.selection.lastTestAccuracy,
  };
  return {
    round,
    sparsity,
    remainingWeights,
    testAccuracy,
    testLoss,
    trainSeconds,
    maskDigest,
    weightsDigest,
    ...selected,
  };
}

function roundResult(r: RoundRecord): RoundResult {
  return { ...scored(r), density: r.density };
}

function branchResult(r: BranchRecord): BranchResult {
  return { ...scored(r), testAccuracy: r.testAccuracy, testLoss: r.testLoss, kind: r.kind, task: r.task };
}

/**
 * A campaign's results: every finished round up to the last one asked for, from the store. A
 * corrupt record ends its experiment's rows there (and is reported); the other experiments are whole.
 */
export async function collectResults(
  store: ArtifactStore,
  campaign: {
    name: string;
    experiments: readonly Experiment[];
    lastRound: number;
    matchingRule?: MatchingRule;
    branchRuns?: readonly BranchRun[];
  },
  onCorrupt?: OnCorruptRecord,
): Promise<CampaignResults> {
  const { experiments, lastRound } = campaign;
  const branchesOf = new Map<string, BranchResult[]>();
  for (const run of campaign.branchRuns ?? []) {
    const record = await readRecord<BranchRecord>(store, refs.branch(run.id), onCorrupt);
    if (!record) continue;
    branchesOf.set(run.experiment.id, [...(branchesOf.get(run.experiment.id) ?? []), branchResult(record)]);
  }
  let backend = 'unknown';
  const out = [];
  for (const e of experiments) {
    const records = await finishedRounds(store, e, lastRound, onCorrupt);
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
      objective: s.objective,
    };
    out.push(summarizeExperiment({ ...identity, rounds, branches: branchesOf.get(e.id) ?? [] }));
  }
  const matchingRule = campaign.matchingRule ?? 'mean';
  return {
    campaign: campaign.name,
    backend,
    experiments: out,
    matchingRule,
    settings: aggregateReplicates(out, matchingRule),
    transfers: aggregateTransfers(out, matchingRule),
  };
}
