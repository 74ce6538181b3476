import type { CampaignResults } from './results';

/** One cell of the transfer matrix at one round: a source's tickets fine-tuned on a target task. */
export interface TransferCell {
  pretraining: string;
  /** Where the masks were found: a downstream task, or `pretraining-tickets`. */
  from: string;
  /** The task they were fine-tuned and scored on. */
  to: string;
  round: number;
  sparsity: number;
  meanAccuracy: number;
  stdAccuracy: number | null;
  replicates: number;
  /** Against the dense transfer (the source's round 0 on the target): the paper's matching. */
  denseMeanAccuracy: number | null;
  matching: boolean | null;
}

/** The paper's Table 3 in long form: every (source, target, round), with the target's sparsest matching round. */
export interface TransferMatrix {
  cells: TransferCell[];
  winning: { pretraining: string; from: string; to: string; winningSparsity: number | null }[];
}

export function transferMatrix(results: Pick<CampaignResults, 'transfers'>): TransferMatrix {
  const cells = results.transfers.flatMap((t) =>
    t.rounds.map((r) => ({
      pretraining: t.pretraining,
      from: t.from,
      to: t.task,
      round: r.round,
      sparsity: r.sparsity,
      meanAccuracy: r.meanAccuracy,
      stdAccuracy: r.stdAccuracy,
      replicates: r.replicates,
      denseMeanAccuracy: t.denseMeanAccuracy,
      matching: r.matching,
    })),
  );
  const winning = results.transfers.map((t) => ({
    pretraining: t.pretraining,
    from: t.from,
    to: t.task,
    winningSparsity: t.winningSparsity,
  }));
  return { cells, winning };
}
