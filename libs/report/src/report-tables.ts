import { settingLabel, type CampaignAnalysis, type OverlapSummary } from '@lth/core';

/** A table of the report, as text cells: written as HTML in the report and as Markdown in docs/results.md. */
export interface ReportTable {
  name: string;
  title: string;
  columns: string[];
  rows: string[][];
}

const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '–' : `${(100 * v).toFixed(digits)}%`;
const acc = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(4));
const pm = (mean: number | null, std: number | null, f: (v: number | null) => string) =>
  std === null ? f(mean) : `${f(mean)} ± ${f(std)}`;

const summaryRow = (label: string, s: OverlapSummary) => [label, String(s.pairs), pct(s.mean), pct(s.min), pct(s.max)];

/** The report's tables, in reading order; a table with no rows is left out. */
export function reportTables(a: CampaignAnalysis): ReportTable[] {
  const tables: ReportTable[] = [];
  const rungs = [...new Set(a.winningTickets.flatMap((w) => w.ladder.map((r) => r.round)))].sort((x, y) => x - y);
  const sparsityOf = (k: number) => a.winningTickets.flatMap((w) => w.ladder).find((r) => r.round === k)?.sparsity;
  tables.push({
    name: 'winning-tickets',
    title: 'Winning tickets on the sparsity ladder',
    columns: [
      'tickets',
      'seeds',
      'dense accuracy',
      `winning sparsity (${a.matchingRule})`,
      'per seed',
      ...rungs.filter((k) => k > 0).map((k) => pct(sparsityOf(k))),
    ],
    rows: a.winningTickets.map((w) => [
      settingLabel(w),
      String(w.replicates),
      pm(w.denseMeanAccuracy, w.denseStdAccuracy, acc),
      w.winningSparsity === null ? 'none' : pct(w.winningSparsity),
      pm(w.replicateWinningMean, w.replicateWinningStd, (v) => pct(v)),
      ...rungs
        .filter((k) => k > 0)
        .map((k) => {
          const r = w.ladder.find((x) => x.round === k);
          return r ? `${acc(r.meanAccuracy)}${r.matching ? ' ✓' : ''}` : '–';
        }),
    ]),
  });
  const o = a.overlap;
  if (o)
    tables.push({
      name: 'mask-overlap-summary',
      title: `Mask overlap at round ${o.round} (${pct(1 - o.density)} sparsity)`,
      columns: ['pairs of tickets', 'pairs', 'mean Jaccard', 'min', 'max'],
      rows: [
        summaryRow('same task, different pre-training', o.acrossPretrainings),
        summaryRow('same setting, different seed', o.acrossReplicates),
        ['two random masks of this density (expected)', '–', pct(o.randomJaccard), '–', '–'],
      ],
    });
  if (a.transfers.winning.length > 0)
    tables.push({
      name: 'transfer-winning',
      title: 'Transfer: the sparsest matching ticket on each target task',
      columns: ['pre-training', 'tickets from', 'to', 'winning sparsity'],
      rows: a.transfers.winning.map((w) => [
        w.pretraining,
        w.from === 'pretraining-tickets' ? 'pre-training ticket' : w.from,
        w.to,
        w.winningSparsity === null ? 'none' : pct(w.winningSparsity),
      ]),
    });
  const s = a.sensitivity;
  if (s && s.points.length > 0) {
    const sigmas = [...new Set(s.points.map((p) => p.sigma))].sort((x, y) => x - y);
    const settings = [...new Set(s.points.map((p) => settingLabel(p)))];
    tables.push({
      name: 'sensitivity',
      title: `Accuracy under noise on the survivors (round ${s.round})`,
      columns: ['tickets', ...sigmas.map((x) => `σ = ${x}`)],
      rows: settings.map((label) => [
        label,
        ...sigmas.map((x) => {
          const p = s.points.find((q) => settingLabel(q) === label && q.sigma === x);
          return p ? pm(p.meanAccuracy, p.stdAccuracy, acc) : '–';
        }),
      ]),
    });
  }
  return tables.filter((t) => t.rows.length > 0);
}
