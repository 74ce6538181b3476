import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CampaignMetrics, type CampaignView } from './campaign-metrics';

async function values(metrics: CampaignMetrics, name: string): Promise<Map<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return new Map(
    metric.values.map((v) => {
      const labels = Object.entries(v.labels).filter(([k]) => k !== 'service');
      return [labels.map(([, x]) => x).join(','), v.value];
    }),
  );
}

test('campaign gauges are read from the view at scrape time: a campaign that leaves it disappears', async () => {
  const running: CampaignView = {
    phase: 'Running',
    experiments: [
      { state: 'Running', winningSparsity: 0.36, sparsity: 0.488, roundsDone: 4 },
      { state: 'Pending', winningSparsity: null, sparsity: 0, roundsDone: 0 },
    ],
  };
  const done: CampaignView = {
    phase: 'Succeeded',
    experiments: [{ state: 'Succeeded', winningSparsity: null, sparsity: 1 - 0.8, roundsDone: 2 }],
  };
  let campaigns = [running, done];
  const metrics = new CampaignMetrics({ campaigns: () => campaigns });
  assert.deepEqual(
    await values(metrics, 'lth_campaigns'),
    new Map([
      ['Pending', 0],
      ['Running', 1],
      ['Succeeded', 1],
      ['Failed', 0],
      ['Invalid', 0],
    ]),
  );
  assert.equal((await values(metrics, 'lth_experiments')).get('Running'), 1);
  assert.equal((await values(metrics, 'lth_experiments')).get('Succeeded'), 1);
  assert.equal((await values(metrics, 'lth_experiments_matching')).get(''), 1);
  // The current sparsity in fixed ranges; an experiment with no finished round is in none.
  const bySparsity = await values(metrics, 'lth_experiments_by_sparsity');
  assert.deepEqual(
    [...bySparsity.keys()],
    ['dense', '0-20%', '20-40%', '40-60%', '60-80%', '80-90%', '90-95%', '95-98%', '98-100%'],
  );
  assert.deepEqual(
    [...bySparsity].filter(([, n]) => n > 0),
    [
      ['0-20%', 1],
      ['40-60%', 1],
    ],
  );
  campaigns = [running];
  assert.equal((await values(metrics, 'lth_campaigns')).get('Succeeded'), 0, 'the deleted campaign is gone');
  assert.equal((await values(metrics, 'lth_experiments')).get('Succeeded'), 0);
  campaigns = [];
  assert.equal((await values(metrics, 'lth_experiments')).get('Running'), 0, 'a follower answers for none');
});

test('round accuracies land in ratio buckets; branch runs are counted apart from rounds', async () => {
  const metrics = new CampaignMetrics();
  for (const accuracy of [0.42, 0.91, 0.93]) metrics.roundAccuracy.observe(accuracy);
  metrics.branchesSucceeded.inc(3);
  const buckets = await values(metrics, 'lth_round_test_accuracy_ratio');
  assert.equal(buckets.get('0.5'), 1);
  assert.equal(buckets.get('0.925'), 2);
  assert.equal(buckets.get('+Inf'), 3);
  assert.equal((await values(metrics, 'lth_branches_succeeded_total')).get(''), 3);
  assert.equal((await values(metrics, 'lth_rounds_succeeded_total')).get(''), 0);
});

test('no lth_ metric carries a user-chosen label: only phase, state, range and the service', async () => {
  const metrics = new CampaignMetrics({ campaigns: () => [{ phase: 'Running', experiments: [] }] });
  metrics.roundsStarted.inc();
  metrics.roundDuration.observe(3);
  const labels = new Set(
    (await metrics.registry.getMetricsAsJSON())
      .filter((m) => m.name.startsWith('lth_'))
      .flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))),
  );
  assert.deepEqual([...labels].sort(), ['le', 'phase', 'range', 'service', 'state']);
});
