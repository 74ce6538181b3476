import { FailedPreconditionError } from '../errors';
import { maskStats } from '../pruning/sparsity';
import type { Mask } from '../pruning/tensors';
import { accuracyCurves, settingKeyOf, settingLabel, type AccuracyCurve, type SettingKey } from './accuracy-curves';
import { maskOverlap } from './mask-overlap';
import type { CampaignResults, ExperimentResult, MatchingRule } from './results';
import { sensitivityCurves, type SensitivityPoint, type SensitivitySample } from './sensitivity-curves';
import { meanAndStd } from './statistics';
import { transferMatrix, type TransferMatrix } from './transfer-matrix';
import { winningTicketTable, type WinningTicketRow } from './winning-tickets';

/** A ticket the analysis looks at: one experiment's mask at the analysed round. */
export interface TicketLabel extends SettingKey {
  label: string;
  experiment: string;
  seed: number;
}

/** How much pairs of tickets share, summarised: mean, min and max Jaccard over the pairs. */
export interface OverlapSummary {
  pairs: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface OverlapAnalysis {
  round: number;
  /** The round's density: two random masks of it overlap by about d / (2 - d), the line to read against. */
  density: number;
  randomJaccard: number;
  tickets: TicketLabel[];
  /** Symmetric; `jaccard[i][j]` is the overlap of tickets i and j. */
  jaccard: number[][];
  /** Same task (or both pre-training tickets), different pre-training: the paper's "under 6.55%". */
  acrossPretrainings: OverlapSummary;
  /** Same setting, different replicate: how much of a ticket is the setting's rather than the seed's. */
  acrossReplicates: OverlapSummary;
  /** Per layer, the mean Jaccard over the across-pre-training pairs. */
  layersAcrossPretrainings: { layer: string; meanJaccard: number }[];
}

export interface LayerSparsityRow extends TicketLabel {
  round: number;
  layer: string;
  weights: number;
  remaining: number;
  sparsity: number;
}

/** What `lth analyze` writes (analysis.json): every answer of the paper's figures, from one campaign. */
export interface CampaignAnalysis {
  campaign: string;
  backend: string;
  matchingRule: MatchingRule;
  curves: AccuracyCurve[];
  winningTickets: WinningTicketRow[];
  transfers: TransferMatrix;
  /** Null when no round with masks has finished in every experiment. */
  overlap: OverlapAnalysis | null;
  layerSparsity: LayerSparsityRow[];
  sensitivity: { round: number; sigmas: number[]; draws: number; points: SensitivityPoint[] } | null;
}

export interface AnalysisInputs {
  results: CampaignResults;
  /** The round whose tickets are compared (overlap, per-layer sparsity, sensitivity). */
  round: number | null;
  /** The masks of that round, by digest. */
  masks: ReadonlyMap<string, Mask>;
  sensitivity?: { sigmas: number[]; draws: number; samples: SensitivitySample[] };
}

/**
 * The deepest pruned round every experiment has finished: the round whose tickets can all be compared.
 * Null when some experiment has no pruned round yet.
 */
export function comparableRound(results: Pick<CampaignResults, 'experiments'>): number | null {
  let round: number | null = null;
  for (const e of results.experiments) {
    const deepest = Math.max(0, ...e.rounds.filter((r) => r.maskDigest).map((r) => r.round));
    if (deepest === 0) return null;
    round = round === null ? deepest : Math.min(round, deepest);
  }
  return round;
}

/** The tickets of one round, labelled, in the experiments' order. */
export function ticketsAt(
  results: Pick<CampaignResults, 'experiments'>,
  round: number,
): (TicketLabel & { maskDigest: string })[] {
  return results.experiments.map((e) => {
    const r = e.rounds.find((x) => x.round === round);
    if (!r?.maskDigest)
      throw new FailedPreconditionError(`experiment ${e.id} has not finished round ${round}: nothing to compare`);
    return { ...labelOf(e), maskDigest: r.maskDigest };
  });
}

function labelOf(e: ExperimentResult): TicketLabel {
  return { ...settingKeyOf(e), label: `${settingLabel(e)} s${e.seed}`, experiment: e.id, seed: e.seed };
}

/** Assembles the analysis; pure: the shell brings the masks and the perturbed evaluations. */
export function analyzeCampaign(inputs: AnalysisInputs): CampaignAnalysis {
  const { results, round } = inputs;
  const tickets = round === null ? [] : ticketsAt(results, round);
  const maskOf = (digest: string) => {
    const m = inputs.masks.get(digest);
    if (!m) throw new FailedPreconditionError(`mask ${digest} was not given to the analysis`);
    return m;
  };
  const layerSparsity = tickets.flatMap((t) =>
    maskStats(maskOf(t.maskDigest)).layers.map((l) => ({
      ...withoutDigest(t),
      round: round!,
      layer: l.name,
      weights: l.total,
      remaining: l.remaining,
      sparsity: l.sparsity,
    })),
  );
  const s = inputs.sensitivity;
  return {
    campaign: results.campaign,
    backend: results.backend,
    matchingRule: results.matchingRule,
    curves: accuracyCurves(results),
    winningTickets: winningTicketTable(results),
    transfers: transferMatrix(results),
    overlap: round === null ? null : overlapOf(round, tickets, maskOf),
    layerSparsity,
    sensitivity:
      s && round !== null ? { round, sigmas: s.sigmas, draws: s.draws, points: sensitivityCurves(s.samples) } : null,
  };
}

function withoutDigest<T extends { maskDigest: string }>(t: T): Omit<T, 'maskDigest'> {
  return Object.fromEntries(Object.entries(t).filter(([key]) => key !== 'maskDigest')) as Omit<T, 'maskDigest'>;
}

function overlapOf(
  round: number,
  tickets: (TicketLabel & { maskDigest: string })[],
  maskOf: (digest: string) => Mask,
): OverlapAnalysis {
  const n = tickets.length;
  const jaccard = tickets.map(() => new Array<number>(n).fill(1));
  const across: number[] = [];
  const replicates: number[] = [];
  const layers = new Map<string, number[]>();
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const [a, b] = [tickets[i]!, tickets[j]!];
      const overlap = maskOverlap(maskOf(a.maskDigest), maskOf(b.maskDigest));
      jaccard[i]![j] = jaccard[j]![i] = overlap.jaccard;
      const sameTask = a.task === b.task && a.objective === b.objective && a.model === b.model;
      if (sameTask && a.pretraining !== b.pretraining) {
        across.push(overlap.jaccard);
        for (const l of overlap.layers) layers.set(l.name, [...(layers.get(l.name) ?? []), l.jaccard]);
      }
      if (sameTask && a.pretraining === b.pretraining && a.rewind === b.rewind) replicates.push(overlap.jaccard);
    }
  const density = n > 0 ? maskStats(maskOf(tickets[0]!.maskDigest)).density : 1;
  return {
    round,
    density,
    randomJaccard: density / (2 - density),
    tickets: tickets.map(withoutDigest),
    jaccard,
    acrossPretrainings: summary(across),
    acrossReplicates: summary(replicates),
    layersAcrossPretrainings: [...layers].map(([layer, values]) => ({ layer, meanJaccard: meanAndStd(values).mean })),
  };
}

function summary(values: number[]): OverlapSummary {
  if (values.length === 0) return { pairs: 0, mean: null, min: null, max: null };
  return {
    pairs: values.length,
    mean: meanAndStd(values).mean,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}
