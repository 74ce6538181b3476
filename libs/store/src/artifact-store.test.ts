import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCorruptError, ArtifactStore, digestOf } from './artifact-store';

async function fresh(): Promise<ArtifactStore> {
  return new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-store-')));
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

test('put is content-addressed and leaves no temporary files', async () => {
  const store = await fresh();
  const digest = await store.put(Buffer.from('hello'));
  assert.equal(digest, digestOf(Buffer.from('hello')));
  assert.equal(await store.put(Buffer.from('hello')), digest);
  assert.equal((await store.get(digest)).toString(), 'hello');
  const files = await filesUnder(store.root);
  assert.equal(files.length, 1);
  assert.ok(!files[0]!.includes('.tmp-'));
});

test('a flipped byte is refused, not used', async () => {
  const store = await fresh();
  const digest = await store.put(Buffer.from('the weights'));
  const [path] = await filesUnder(store.root);
  const bytes = await readFile(path!);
  bytes[3] = bytes[3]! ^ 0x01;
  await writeFile(path!, bytes);
  await assert.rejects(
    store.get(digest),
    (e: unknown) => e instanceof ArtifactCorruptError && e.message.includes(digest),
  );
  assert.equal(store.counters.digestFailures, 1);
});

test('putting bytes whose object is corrupt replaces it, atomically; an intact one is not rewritten', async () => {
  const store = await fresh();
  const bytes = Buffer.from('the weights');
  const digest = await store.put(bytes);
  const [path] = await filesUnder(store.root);
  for (const corrupt of [Buffer.from('the weighTs'), Buffer.from('truncated')]) {
    await writeFile(path!, corrupt);
    await assert.rejects(store.get(digest), ArtifactCorruptError);
    assert.equal(await store.put(bytes), digest);
    assert.equal((await store.get(digest)).toString(), 'the weights', 'healed');
  }
  const written = store.counters.bytesWritten;
  await store.put(bytes);
  assert.equal(store.counters.bytesWritten, written, 'an intact object is left as it is');
  assert.deepEqual(await filesUnder(store.root), [path], 'no temporary files');
});

test('unknown digests are NotFound and malformed ones InvalidArgument', async () => {
  const store = await fresh();
  await assert.rejects(store.get(digestOf(Buffer.from('nope'))), { kind: 'not-found' });
  await assert.rejects(store.get('/etc/passwd'), { kind: 'invalid-argument' });
});

test('refs point stable names at digests and refuse path tricks', async () => {
  const store = await fresh();
  const digest = await store.putJson({ a: 1 });
  assert.equal(await store.getRef('experiments/abc/rounds/0'), undefined);
  await store.setRef('experiments/abc/rounds/0', digest);
  assert.equal(await store.getRef('experiments/abc/rounds/0'), digest);
  assert.deepEqual(await store.getJson(digest), { a: 1 });
  await assert.rejects(store.setRef('../escape', digest), { kind: 'invalid-argument' });
  await store.removeRef('experiments/abc/rounds/0');
  assert.equal(await store.getRef('experiments/abc/rounds/0'), undefined);
});
