import type { CampaignResults } from './results';
import { isMatching } from './tickets';

const COLUMNS = [
  'experiment',
  'model',
  'pretraining',
  'task',
  'seed',
  'rewind',
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

function cell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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
