import { isMatching, type CampaignResults } from '@lth/core';

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
/** A score, or `-` where a round has none (a contrastive pre-training's tickets). */
const score = (x: number | null) => (x === null ? '-' : x.toFixed(4));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A task as the tables show it: pre-training tickets are IMP on the pre-training's own dataset and objective. */
const taskOf = (x: { task: string; objective: 'downstream' | 'pretraining' }) =>
  x.objective === 'pretraining' ? `${x.task} (pre-training tickets)` : x.task;

/** The final report: per experiment, accuracy against sparsity with matching rounds marked. */
export function formatResults(results: CampaignResults): string {
  const parts: string[] = [];
  for (const e of results.experiments) {
    const on =
      e.objective === 'pretraining'
        ? `tickets on pre-training ${e.pretraining} (${e.task})`
        : `pre-training ${e.pretraining} -> ${e.task}`;
    const setting = `${on}, seed ${e.seed}, rewind to ${e.rewind}`;
    parts.push(`experiment ${e.id}: ${e.model}, ${setting}`);
    const rows = [['round', 'sparsity', 'weights', 'test acc', 'test loss', 'train s', 'matching']];
    for (const r of e.rounds) {
      rows.push([
        String(r.round),
        pct(r.sparsity),
        String(r.remainingWeights),
        score(r.testAccuracy),
        score(r.testLoss),
        r.trainSeconds.toFixed(1),
        r.round === 0 ? 'dense' : e.denseAccuracy !== null && isMatching(r, e.denseAccuracy) ? 'yes' : 'no',
      ]);
    }
    parts.push(table(rows));
    if (e.branches.length > 0) {
      const branches = [['round', 'branch', 'on', 'sparsity', 'test acc', 'vs ticket']];
      for (const b of e.branches) {
        const ticket = e.rounds.find((r) => r.round === b.round);
        const delta =
          ticket?.testAccuracy != null && b.kind !== 'transfer'
            ? (b.testAccuracy - ticket.testAccuracy).toFixed(4)
            : '';
        branches.push([String(b.round), b.kind, b.task, pct(b.sparsity), b.testAccuracy.toFixed(4), delta]);
      }
      parts.push(table(branches));
    }
    parts.push(
      `dense accuracy ${e.denseAccuracy?.toFixed(4) ?? '-'}; winning ticket at sparsity ${pct(e.winningSparsity)}`,
    );
    parts.push('');
  }
  const summary = [['experiment', 'model', 'pre-training', 'task', 'seed', 'dense acc', 'winning sparsity']];
  for (const e of results.experiments)
    summary.push([
      e.id.slice(0, 8),
      e.model,
      e.pretraining,
      taskOf(e),
      String(e.seed),
      e.denseAccuracy?.toFixed(4) ?? '-',
      pct(e.winningSparsity),
    ]);
  parts.push(table(summary));
  if (results.settings.some((s) => s.seeds.length > 1)) {
    const rule = results.matchingRule === 'mean' ? 'mean >= dense mean' : 'mean + 1 std >= dense mean';
    parts.push('', `over replicates (matching: ${rule}):`);
    const rows = [['model', 'pre-training', 'task', 'seeds', 'dense acc', 'winning sparsity']];
    for (const s of results.settings) {
      const std = s.denseStdAccuracy === null ? '' : ` ± ${s.denseStdAccuracy.toFixed(4)}`;
      const dense = s.denseMeanAccuracy === null ? '-' : `${s.denseMeanAccuracy.toFixed(4)}${std}`;
      rows.push([s.model, s.pretraining, taskOf(s), String(s.seeds.length), dense, pct(s.winningSparsity)]);
    }
    parts.push(table(rows));
  }
  if (results.transfers.length > 0) {
    parts.push('', 'transfers (matching against the dense transfer, round 0):');
    const rows = [['model', 'pre-training', 'from', 'to', 'seeds', 'dense acc', 'winning sparsity']];
    for (const t of results.transfers) {
      const dense = t.denseMeanAccuracy?.toFixed(4) ?? '-';
      rows.push([t.model, t.pretraining, t.from, t.task, String(t.seeds.length), dense, pct(t.winningSparsity)]);
    }
    parts.push(table(rows));
  }
  return parts.join('\n');
}
