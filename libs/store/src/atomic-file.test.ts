import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepTemporaryFiles, temporaryPathFor, writeFileAtomically } from './atomic-file';

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

test('a sweep removes what dead writers of this host left; live or foreign writers keep theirs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lth-sweep-'));
  await mkdir(join(dir, 'objects', 'ab'), { recursive: true });
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  const dead = join(dir, 'objects', 'ab', `cdef.tmp-${host}-${deadPid()}-0123456789ab`);
  const live = temporaryPathFor(join(dir, 'objects', 'ab', 'live'));
  const foreign = join(dir, 'objects', 'ab', 'x.tmp-other-host.example-1-0123456789ab');
  const oldForeign = join(dir, 'y.tmp-other-host.example-1-0123456789ab');
  for (const f of [dead, live, foreign, oldForeign]) await writeFile(f, 'half');
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  await utimes(oldForeign, twoDaysAgo, twoDaysAgo);
  await writeFileAtomically(join(dir, 'results.json'), '{}');

  assert.equal(await sweepTemporaryFiles(dir, { recursive: false }), 1, 'only the top level');
  assert.equal(await sweepTemporaryFiles(dir, { recursive: true }), 1);
  const left = (await readdir(dir, { recursive: true })).sort();
  assert.deepEqual(left, [
    'objects',
    'objects/ab',
    `objects/ab/${live.split('/').pop()}`,
    'objects/ab/x.tmp-other-host.example-1-0123456789ab',
    'results.json',
  ]);
  assert.equal(await sweepTemporaryFiles(join(dir, 'missing'), { recursive: true }), 0);
});
