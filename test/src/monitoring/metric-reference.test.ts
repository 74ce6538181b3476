import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CampaignMetrics } from '@lth/metrics';
import { createServiceMetrics } from '@lth/services';

const ROOT = resolve(__dirname, '../../..');

test('docs/monitoring.md lists exactly the lth_ metrics the code registers, with their types', async () => {
  const doc = await readFile(resolve(ROOT, 'docs/monitoring.md'), 'utf8');
  const documented = new Map(
    [...doc.matchAll(/^\| `(lth_[a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const registered = new Map<string, string>();
  const store = { bytesRead: 0, bytesWritten: 0, digestFailures: 0 };
  const registries = [
    new CampaignMetrics().registry,
    createServiceMetrics({
      service: 'finetune',
      backend: () => 'cpu',
      store,
      finetune: { steps: 0, images: 0, imagesPerSecond: 0, stepSeconds: 0, dataWaitSeconds: 0 },
      data: { bytesStreamed: 0 },
      tensors: true,
    }).registry,
  ];
  for (const r of registries)
    for (const m of await r.getMetricsAsJSON()) if (m.name.startsWith('lth_')) registered.set(m.name, String(m.type));
  assert.deepEqual([...documented.keys()].sort(), [...registered.keys()].sort());
  for (const [name, type] of registered) assert.equal(documented.get(name), type, name);
  for (const name of registered.keys()) {
    assert.match(name, /^lth_[a-z_]+$/);
    if (registered.get(name) === 'counter') assert.match(name, /_total$/, `${name}: counters end in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
  }
});
