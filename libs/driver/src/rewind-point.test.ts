import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandCampaign, parseCampaign } from '@lth/core';
import { ArtifactStore } from '@lth/store';
import { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { refs, type PretrainingRecord } from './records';
import { rewindPoint } from './rewind-point';

const THETA_P = 'sha256:' + 'a'.repeat(64);
const DENSE = 'sha256:' + 'b'.repeat(64);

async function setup(rewind: string, pretrainingKind = 'supervised, dataset: mnist') {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-rewind-')));
  const [experiment] = expandCampaign(
    parseCampaign(
      `name: r\nmodels: [lenet-300-100]\ntasks: [mnist]\nimp: { rewind: ${rewind} }\n` +
        `pretrainings: [{ name: p, kind: ${pretrainingKind} }]\n`,
    ),
  );
  const pretrained = { weightsDigest: pretrainingKind === 'none' ? '' : THETA_P } as PretrainingRecord;
  await store.setRef(refs.round(experiment!.id, 0), await store.putJson({ weightsDigest: DENSE }));
  const context = { deps: { store } as unknown as DriverDeps, inputs: new InputProducers() };
  return (round: number) => rewindPoint(experiment!, round, pretrained, context);
}

test('pretrained: every round from θ_p with a fresh head; init: from the seed, nothing loaded', async () => {
  const pretrained = await setup('pretrained');
  assert.deepEqual(await pretrained(0), { rewindTo: THETA_P, freshHead: true });
  assert.deepEqual(await pretrained(3), { rewindTo: THETA_P, freshHead: true });
  const init = await setup('init');
  assert.deepEqual(await init(2), { rewindTo: '', freshHead: false });
  const scratch = await setup('pretrained', 'none');
  assert.deepEqual(await scratch(1), { rewindTo: '', freshHead: false });
});

test("dense: round 0 from θ_p; later rounds from round 0's fine-tuned weights, head kept", async () => {
  const dense = await setup('dense');
  assert.deepEqual(await dense(0), { rewindTo: THETA_P, freshHead: true });
  assert.deepEqual(await dense(1), { rewindTo: DENSE, freshHead: false });
  assert.deepEqual(await dense(4), { rewindTo: DENSE, freshHead: false });
});

test('dense before round 0 has finished is a precondition failure naming the round', async () => {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-rewind-')));
  const [experiment] = expandCampaign(
    parseCampaign(
      'name: r\nmodels: [lenet-300-100]\ntasks: [mnist]\nimp: { rewind: dense }\n' +
        'pretrainings: [{ name: p, kind: none }]\n',
    ),
  );
  const context = { deps: { store } as unknown as DriverDeps, inputs: new InputProducers() };
  await assert.rejects(
    rewindPoint(experiment!, 1, { weightsDigest: '' } as PretrainingRecord, context),
    /round 0 of experiment [0-9a-f]+ has not finished/,
  );
});
