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
      { state: 'Running', winningSparsity: 0.36 },
      { state: 'Pending', winningSparsity: null },
    ],
  };
  const done: CampaignView = { phase: 'Succeeded', experiments: [{ state: 'Succeeded', winningSparsity: null }] };
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
  campaigns = [running];
  assert.equal((await values(metrics, 'lth_campaigns')).get('Succeeded'), 0, 'the deleted campaign is gone');
  assert.equal((await values(metrics, 'lth_experiments')).get('Succeeded'), 0);
  campaigns = [];
  assert.equal((await values(metrics, 'lth_experiments')).get('Running'), 0, 'a follower answers for none');
});

test('no lth_ metric carries a user-chosen label: only phase, state and the service', async () => {
  const metrics = new CampaignMetrics({ campaigns: () => [{ phase: 'Running', experiments: [] }] });
  metrics.roundsStarted.inc();
  metrics.roundDuration.observe(3);
  const labels = new Set(
    (await metrics.registry.getMetricsAsJSON())
      .filter((m) => m.name.startsWith('lth_'))
      .flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))),
  );
  assert.deepEqual([...labels].sort(), ['le', 'phase', 'service', 'state']);
});
