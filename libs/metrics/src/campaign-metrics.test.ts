import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCampaign, parseCampaign } from '@lth/core';
import { CampaignMetrics } from './campaign-metrics';

const [seed0, seed1] = expandCampaign(
  parseCampaign(
    'name: m\nmodels: [lenet-300-100]\npretrainings: [{ name: p, kind: none }]\ntasks: [mnist]\nseeds: [0, 1]\n',
  ),
);

async function value(
  metrics: CampaignMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  const match = metric.values.find((v) =>
    Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
  );
  return match?.value;
}

test('the winning sparsity is absent until a pruned round matches on the mean over replicates', async () => {
  const metrics = new CampaignMetrics();
  metrics.recordRound('m', seed0!, { round: 0, sparsity: 0, testAccuracy: 0.9 });
  metrics.recordRound('m', seed1!, { round: 0, sparsity: 0, testAccuracy: 0.8 });
  metrics.recordRound('m', seed0!, { round: 1, sparsity: 0.2, testAccuracy: 0.86 });
  metrics.recordRound('m', seed1!, { round: 1, sparsity: 0.2, testAccuracy: 0.83 });
  assert.equal(await value(metrics, 'lth_winning_sparsity_ratio'), undefined, 'mean 0.845 < dense mean 0.85');
  assert.ok(Math.abs((await value(metrics, 'lth_dense_test_accuracy_ratio'))! - 0.85) < 1e-12);
  metrics.recordRound('m', seed0!, { round: 2, sparsity: 0.36, testAccuracy: 0.88 });
  // Round 2 of one replicate only: the mean covers the rounds every replicate has finished.
  assert.equal(await value(metrics, 'lth_winning_sparsity_ratio'), undefined);
  metrics.recordRound('m', seed1!, { round: 2, sparsity: 0.36, testAccuracy: 0.83 });
  assert.equal(await value(metrics, 'lth_winning_sparsity_ratio'), 0.36);
  assert.equal(await value(metrics, 'lth_round_test_accuracy_ratio', { round: '2' }), 0.855);
});

test('experiments are counted by campaign and state, never by id', async () => {
  const metrics = new CampaignMetrics();
  metrics.setExperimentState('m', seed0!, 'Running');
  metrics.setExperimentState('m', seed1!, 'Running');
  metrics.setExperimentState('m', seed1!, 'Succeeded');
  assert.equal(await value(metrics, 'lth_experiments', { state: 'Running' }), 1);
  assert.equal(await value(metrics, 'lth_experiments', { state: 'Succeeded' }), 1);
  const labels = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
    m.values.flatMap((v) => Object.keys(v.labels)),
  );
  assert.ok(!labels.includes('experiment') && !labels.includes('seed'));
});
