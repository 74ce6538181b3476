import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLayersModelWeights } from './import-layers-model';

test('a file that is not a model.json is named, never quoted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lth-import-'));
  const secret = join(dir, 'model.json');
  await writeFile(secret, 'SECRET-TOKEN-1234 this is not json');
  await assert.rejects(readLayersModelWeights(secret), (e: Error) => {
    assert.match(e.message, /model\.json" is not a TF\.js model\.json: it is not JSON$/);
    assert.doesNotMatch(e.message, /SECRET/);
    return true;
  });
  const escaping = join(dir, 'escaping.json');
  await writeFile(escaping, JSON.stringify({ weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }));
  await assert.rejects(
    readLayersModelWeights(escaping),
    /names a weights shard outside its directory: "\.\.\/\.\.\/etc\/passwd"/,
  );
  await assert.rejects(readLayersModelWeights(join(dir, 'missing.json')), { kind: 'not-found' });
});
