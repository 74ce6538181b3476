import type { CampaignAnalysis } from './campaign-analysis';
import { csvTable } from './csv';

const SETTING = ['model', 'pretraining', 'task', 'objective', 'rewind'] as const;
const settingCells = (s: Record<(typeof SETTING)[number], string>) => SETTING.map((k) => s[k]);

/** The analysis as CSV files (name, text), one per table of the report; long form, for plotting elsewhere. */
export function analysisTables(a: CampaignAnalysis): [string, string][] {
  const tables: [string, string][] = [
    [
      'accuracy-curves.csv',
      csvTable(
        [...SETTING, 'series', 'round', 'sparsity', 'meanAccuracy', 'stdAccuracy', 'replicates', 'matching', 'dense'],
        a.curves.flatMap((c) => c.points.map((p) => ({ c, p }))),
        ({ c, p }) => [
          ...settingCells(c),
          p.series,
          p.round,
          p.sparsity,
          p.meanAccuracy,
          p.stdAccuracy,
          p.replicates,
          p.matching,
          c.denseMeanAccuracy,
        ],
      ),
    ],
    ['winning-tickets.csv', winningTicketsCsv(a)],
    [
      'transfer-matrix.csv',
      csvTable(
        [
          'pretraining',
          'from',
          'to',
          'round',
          'sparsity',
          'meanAccuracy',
          'stdAccuracy',
          'replicates',
          'dense',
          'matching',
        ],
        a.transfers.cells,
        (c) => [
          c.pretraining,
          c.from,
          c.to,
          c.round,
          c.sparsity,
          c.meanAccuracy,
          c.stdAccuracy,
          c.replicates,
          c.denseMeanAccuracy,
          c.matching,
        ],
      ),
    ],
  ];
  if (a.overlap) {
    const { tickets, jaccard } = a.overlap;
    tables.push([
      'mask-overlap.csv',
      csvTable(['ticket', ...tickets.map((t) => t.label)], tickets, (t) => [t.label, ...jaccard[tickets.indexOf(t)]!]),
    ]);
  }
  tables.push([
    'layer-sparsity.csv',
    csvTable(
      [...SETTING, 'seed', 'experiment', 'round', 'layer', 'weights', 'remaining', 'sparsity'],
      a.layerSparsity,
      (l) => [...settingCells(l), l.seed, l.experiment, l.round, l.layer, l.weights, l.remaining, l.sparsity],
    ),
  ]);
  if (a.sensitivity)
    tables.push([
      'sensitivity.csv',
      csvTable(
        [...SETTING, 'round', 'sigma', 'meanAccuracy', 'stdAccuracy', 'samples', 'meanDrop'],
        a.sensitivity.points,
        (p) => [...settingCells(p), p.round, p.sigma, p.meanAccuracy, p.stdAccuracy, p.samples, p.meanDrop],
      ),
    ]);
  return tables;
}

/** One row per setting; the ladder as columns (round k's mean accuracy and whether it is matching). */
function winningTicketsCsv(a: CampaignAnalysis): string {
  const rounds = [...new Set(a.winningTickets.flatMap((w) => w.ladder.map((r) => r.round)))].sort((x, y) => x - y);
  const columns = [
    ...SETTING,
    'replicates',
    'denseMeanAccuracy',
    'denseStdAccuracy',
    'winningSparsity',
    'rule',
    'replicateWinningMean',
    'replicateWinningStd',
    ...rounds.flatMap((k) => [`round${k}Sparsity`, `round${k}Accuracy`, `round${k}Matching`]),
  ];
  return csvTable(columns, a.winningTickets, (w) => [
    ...settingCells(w),
    w.replicates,
    w.denseMeanAccuracy,
    w.denseStdAccuracy,
    w.winningSparsity,
    w.rule,
    w.replicateWinningMean,
    w.replicateWinningStd,
    ...rounds.flatMap((k) => {
      const r = w.ladder.find((x) => x.round === k);
      return [r?.sparsity, r?.meanAccuracy, r?.matching];
    }),
  ]);
}
