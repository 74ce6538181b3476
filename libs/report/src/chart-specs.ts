import { settingLabel, type CampaignAnalysis } from '@lth/core';

/** A Vega-Lite specification (JSON); vega-lite compiles it, vega renders it. */
export type VegaLiteSpec = Record<string, unknown>;

/** One figure of the report: its file name (without extension), its heading, and the spec that draws it. */
export interface ChartSpec {
  name: string;
  title: string;
  /** What the figure answers, under its heading. */
  caption: string;
  spec: VegaLiteSpec;
}

const percent = { format: '.0%' };
const ACCURACY = { title: 'test accuracy', scale: { zero: false } };
const SPARSITY = { title: 'sparsity (of prunable weights)', axis: percent };
const FONT = 'DejaVu Sans';

/** The report's figures, in reading order; a figure with no data (no transfers, no overlap) is left out. */
export function chartSpecs(a: CampaignAnalysis): ChartSpec[] {
  return [
    accuracyChart(a),
    winningChart(a),
    overlapChart(a),
    transferChart(a),
    sensitivityChart(a),
    layerSparsityChart(a),
  ].filter((c): c is ChartSpec => c !== null);
}

function chart(spec: VegaLiteSpec): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { labelLimit: 280 }, legend: { labelLimit: 280 } },
    ...spec,
  };
}

/** The paper's Figure 2: accuracy against sparsity per setting, mean ± std bands, dashed dense line, baselines. */
function accuracyChart(a: CampaignAnalysis): ChartSpec | null {
  const values = a.curves.flatMap((c) =>
    c.points.map((p) => ({
      setting: settingLabel(c),
      series: p.series === 'imp' ? 'IMP ticket' : p.series,
      sparsity: p.sparsity,
      accuracy: p.meanAccuracy,
      lower: p.meanAccuracy - (p.stdAccuracy ?? 0),
      upper: p.meanAccuracy + (p.stdAccuracy ?? 0),
      dense: c.denseMeanAccuracy,
      matching: p.matching === null ? '' : p.matching ? 'matching' : 'not matching',
    })),
  );
  if (values.length === 0) return null;
  const x = { field: 'sparsity', type: 'quantitative', ...SPARSITY };
  const color = { field: 'series', type: 'nominal', title: 'subnetwork' };
  return {
    name: 'accuracy-vs-sparsity',
    title: 'Accuracy against sparsity',
    caption:
      'Mean test accuracy over replicates (band: ± one standard deviation) at each IMP round, with the baselines ' +
      "at their rounds; the dashed line is the dense model's accuracy. A ticket on or above it is matching.",
    spec: chart({
      data: { values },
      facet: { field: 'setting', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 260,
        height: 180,
        layer: [
          {
            mark: { type: 'area', opacity: 0.18, clip: true },
            encoding: { x, y: { field: 'lower', type: 'quantitative', ...ACCURACY }, y2: { field: 'upper' }, color },
          },
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'accuracy', type: 'quantitative', ...ACCURACY },
              color,
              tooltip: [
                { field: 'series' },
                { field: 'sparsity', format: '.1%' },
                { field: 'accuracy', format: '.4f' },
              ],
            },
          },
          {
            mark: { type: 'rule', strokeDash: [4, 4], color: 'black' },
            encoding: { y: { aggregate: 'max', field: 'dense', type: 'quantitative' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}

/** Where each setting's winning ticket sits (the table, drawn). */
function winningChart(a: CampaignAnalysis): ChartSpec | null {
  const values = a.winningTickets.map((w) => ({
    pretraining: w.pretraining,
    task: w.objective === 'pretraining' ? 'pre-training task' : w.task,
    sparsity: w.winningSparsity ?? 0,
    found: w.winningSparsity === null ? 'none matching' : 'winning ticket',
  }));
  if (values.length === 0) return null;
  return {
    name: 'winning-tickets',
    title: 'Winning tickets',
    caption: `The sparsest matching IMP round of each setting (matching judged on the replicates' ${a.matchingRule}).`,
    spec: chart({
      data: { values },
      width: 120,
      height: 200,
      mark: 'bar',
      encoding: {
        column: { field: 'task', type: 'nominal', title: 'downstream task' },
        x: { field: 'pretraining', type: 'nominal', title: 'pre-training', axis: { labelAngle: -30 } },
        y: { field: 'sparsity', type: 'quantitative', title: 'winning-ticket sparsity', axis: percent },
        color: { field: 'pretraining', type: 'nominal', legend: null },
        opacity: {
          field: 'found',
          type: 'ordinal',
          sort: ['none matching', 'winning ticket'],
          scale: { range: [0.35, 1] },
          title: null,
        },
      },
    }),
  };
}

/** The paper's mask-overlap figure: Jaccard of surviving weights between every pair of tickets. */
function overlapChart(a: CampaignAnalysis): ChartSpec | null {
  const o = a.overlap;
  if (!o || o.tickets.length === 0) return null;
  const order = o.tickets.map((t) => t.label);
  const values = o.tickets.flatMap((row, i) =>
    o.tickets.map((column, j) => ({ row: row.label, column: column.label, jaccard: o.jaccard[i]![j]! })),
  );
  const size = Math.max(200, 22 * order.length);
  return {
    name: 'mask-overlap',
    title: `Mask overlap at round ${o.round}`,
    caption:
      `Jaccard index of the weights two tickets keep (intersection over union) at round ${o.round} ` +
      `(${(100 * (1 - o.density)).toFixed(1)}% sparsity); two random masks of this density share about ` +
      `${(100 * o.randomJaccard).toFixed(1)}%.`,
    spec: chart({
      data: { values },
      width: size,
      height: size,
      encoding: {
        x: { field: 'column', type: 'nominal', sort: order, title: 'ticket', axis: { labelAngle: -45 } },
        y: { field: 'row', type: 'nominal', sort: order, title: 'ticket' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'jaccard',
              type: 'quantitative',
              title: 'Jaccard',
              scale: { domain: [0, 1], scheme: 'blues' },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 8 },
          encoding: {
            text: { field: 'jaccard', type: 'quantitative', format: '.2f' },
            color: { condition: { test: 'datum.jaccard > 0.6', value: 'white' }, value: 'black' },
          },
        },
      ],
    }),
  };
}

/** The paper's transfer table as heatmaps: each round, source tickets x target task, accuracy against dense. */
function transferChart(a: CampaignAnalysis): ChartSpec | null {
  const values = a.transfers.cells
    .filter((c) => c.round > 0 && c.denseMeanAccuracy !== null)
    .map((c) => ({
      source: `${c.pretraining} · ${c.from === 'pretraining-tickets' ? 'pre-training ticket' : c.from}`,
      target: c.to,
      round: `round ${c.round} (${(100 * c.sparsity).toFixed(1)}%)`,
      delta: c.meanAccuracy - c.denseMeanAccuracy!,
      mark: c.matching ? '✓' : '',
    }));
  if (values.length === 0) return null;
  const reach = Math.max(0.01, ...values.map((v) => Math.abs(v.delta)));
  return {
    name: 'transfer-matrix',
    title: 'Transfer of tickets',
    caption:
      "Each source's tickets, moved to a target task and fine-tuned there: mean accuracy minus the dense " +
      "transfer's (the source's round 0 on the target). ✓ marks a matching transfer.",
    spec: chart({
      data: { values },
      facet: { column: { field: 'round', type: 'ordinal', title: null } },
      spec: {
        width: 90,
        height: { step: 22 },
        encoding: {
          x: { field: 'target', type: 'nominal', title: 'target task', axis: { labelAngle: -30 } },
          y: { field: 'source', type: 'nominal', title: 'tickets from' },
        },
        layer: [
          {
            mark: 'rect',
            encoding: {
              color: {
                field: 'delta',
                type: 'quantitative',
                title: 'Δ accuracy',
                // Symmetric about 0, so white is "as good as dense" whichever side the data falls on.
                scale: { scheme: 'redblue', domain: [-reach, reach] },
              },
            },
          },
          { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'mark', type: 'nominal' } } },
        ],
      },
    }),
  };
}

/** The paper's perturbation-sensitivity curves: accuracy as noise on the survivors grows. */
function sensitivityChart(a: CampaignAnalysis): ChartSpec | null {
  const s = a.sensitivity;
  if (!s || s.points.length === 0) return null;
  const values = s.points.map((p) => ({
    setting: settingLabel(p),
    task: p.task,
    sigma: p.sigma,
    accuracy: p.meanAccuracy,
    lower: p.meanAccuracy - (p.stdAccuracy ?? 0),
    upper: p.meanAccuracy + (p.stdAccuracy ?? 0),
  }));
  const x = { field: 'sigma', type: 'quantitative', title: 'noise σ (relative to the layer’s rms)' };
  const color = { field: 'setting', type: 'nominal', title: 'tickets' };
  return {
    name: 'perturbation-sensitivity',
    title: `Sensitivity to perturbation (round ${s.round})`,
    caption:
      `Accuracy of the round-${s.round} tickets when their surviving weights get Gaussian noise of σ times ` +
      `each layer's rms; mean ± std over replicates and ${s.draws} draws of the noise.`,
    spec: chart({
      data: { values },
      width: 360,
      height: 220,
      layer: [
        {
          mark: { type: 'area', opacity: 0.15, clip: true },
          encoding: { x, y: { field: 'lower', type: 'quantitative', ...ACCURACY }, y2: { field: 'upper' }, color },
        },
        {
          mark: { type: 'line', point: true },
          encoding: { x, y: { field: 'accuracy', type: 'quantitative', ...ACCURACY }, color },
        },
      ],
    }),
  };
}

/** Per-layer sparsity of the analysed round's tickets, averaged over replicates. */
function layerSparsityChart(a: CampaignAnalysis): ChartSpec | null {
  if (a.layerSparsity.length === 0) return null;
  const layers = [...new Set(a.layerSparsity.map((l) => l.layer))];
  const values = a.layerSparsity.map((l) => ({ layer: l.layer, setting: settingLabel(l), sparsity: l.sparsity }));
  return {
    name: 'layer-sparsity',
    title: `Sparsity per layer (round ${a.layerSparsity[0]!.round})`,
    caption: 'The fraction of each layer that global magnitude pruning removed, per setting (mean over replicates).',
    spec: chart({
      data: { values },
      width: { step: 8 },
      height: 200,
      mark: 'bar',
      encoding: {
        x: { field: 'layer', type: 'nominal', sort: layers, title: 'layer', axis: { labelAngle: -60 } },
        xOffset: { field: 'setting', type: 'nominal' },
        y: { aggregate: 'mean', field: 'sparsity', type: 'quantitative', title: 'sparsity', axis: percent },
        color: { field: 'setting', type: 'nominal', title: 'tickets' },
      },
    }),
  };
}
