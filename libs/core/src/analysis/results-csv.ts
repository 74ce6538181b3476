import type { CampaignResults } from './results';
import { csvCell as cell } from './csv';
import { isMatching } from './tickets';

/** Which experiment a row belongs to: the first columns of both files. */
const EXPERIMENT_COLUMNS = ['experiment', 'model', 'pretraining', 'task', 'seed', 'rewind'] as const;

const COLUMNS = [
  ...EXPERIMENT_COLUMNS,
  'round',
  'sparsity',
  'density',
  'remainingWeights',
  'testAccuracy',
  'testLoss',
  'trainSeconds',
  'matching',
  'maskDigest',
  'weightsDigest',
] as const;

/** One row per round, for spreadsheets and plotting. */
export function resultsToCsv(results: CampaignResults): string {
  const lines = [COLUMNS.join(',')];
  for (const e of results.experiments) {
    for (const r of e.rounds) {
      const matching = e.denseAccuracy === null ? '' : isMatching(r, e.denseAccuracy);
      lines.push(
        [
          e.id,
          e.model,
          e.pretraining,
          e.task,
          e.seed,
          e.rewind,
          r.round,
          r.sparsity,
          r.density,
          r.remainingWeights,
          r.testAccuracy,
          r.testLoss,
          r.trainSeconds,
          matching,
          r.maskDigest,
          r.weightsDigest,
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}

const BRANCH_COLUMNS = [
  ...EXPERIMENT_COLUMNS,
  'round',
  'branch',
  'evaluatedOn',
  'sparsity',
  'remainingWeights',
  'testAccuracy',
  'testLoss',
  'trainSeconds',
  'maskDigest',
  'weightsDigest',
] as const;

/** One row per branch (baselines and transfers): `task` is the experiment's, `evaluatedOn` the branch's. */
export function branchesToCsv(results: CampaignResults): string {
  const lines = [BRANCH_COLUMNS.join(',')];
  for (const e of results.experiments) {
    for (const b of e.branches) {
      const row = [e.id, e.model, e.pretraining, e.task, e.seed, e.rewind, b.round, b.kind, b.task, b.sparsity];
      const scored = [b.remainingWeights, b.testAccuracy, b.testLoss, b.trainSeconds, b.maskDigest, b.weightsDigest];
      lines.push([...row, ...scored].map(cell).join(','));
    }
  }
  return lines.join('\n') + '\n';
}
