import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { analyzeCampaign, parseResultsJson, type CampaignAnalysis } from '@lth/core';
import { generatedResultsTables, replaceGeneratedBlock } from '@lth/report';

const ROOT = resolve(__dirname, '../../..');
const read = (path: string) => readFile(resolve(ROOT, path), 'utf8');

test('docs/results.md: its tables are what lth report makes of the committed analysis, not typed by hand', async () => {
  const doc = await read('docs/results.md');
  const analysis = JSON.parse(await read('docs/results/analysis.json')) as CampaignAnalysis;
  const regenerated = replaceGeneratedBlock(doc, generatedResultsTables(analysis));
  assert.equal(doc, regenerated, 'the tables differ from docs/results/analysis.json: node scripts/results-doc.mjs');
});

test('docs/results/analysis.json is the analysis of the committed results.json (curves, tickets)', async () => {
  const results = parseResultsJson(await read('docs/results/results.json'), 'docs/results/results.json');
  const committed = JSON.parse(await read('docs/results/analysis.json')) as CampaignAnalysis;
  // What needs no masks or evaluations is recomputed here; overlap and sensitivity came from the store.
  const again = analyzeCampaign({ results, round: null, masks: new Map() });
  assert.deepEqual(committed.curves, again.curves);
  assert.deepEqual(committed.winningTickets, again.winningTickets);
  assert.deepEqual(committed.transfers, again.transfers);
  assert.equal(committed.campaign, 'paper-small');
  // The committed campaign (the copy lth run keeps) is the example's, as the page says it ran.
  assert.deepEqual(
    parseYaml(await read('docs/results/campaign.yaml')),
    parseYaml(await read('examples/paper-small.yaml')),
  );
  assert.equal(committed.overlap!.tickets.length, results.experiments.length);
  assert.deepEqual(
    committed.overlap!.tickets.map((t) => t.experiment),
    results.experiments.map((e) => e.id),
  );
});
