import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLogger, openChannel, pruningClient, startServer } from '@lth/grpc-kit';
import { ArtifactStore } from '@lth/store';
import { pruningService } from './pruning-service';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('20,000 calls leave the heap where it was and add no listeners', async () => {
  const log = createLogger('test');
  log.level = 'silent';
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-calls-')));
  const server = await startServer('127.0.0.1:0', [pruningService(store)], { log });
  server.setServing(true);
  const client = pruningClient(openChannel(server.address));
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  // Refused at once (INVALID_ARGUMENT): each is a whole call through the middleware, no work.
  const calls = async (n: number) => {
    const lanes = Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < n; i += 8) await client.prune({ weightsDigest: 'not-a-digest' }).catch(() => undefined);
    });
    await Promise.all(lanes);
  };
  try {
    await calls(2000); // warm up: code, caches, the connection
    gc();
    const before = process.memoryUsage().heapUsed;
    await calls(20_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // A listener left behind per call was ~7.8 KB each (156 MB here); allow noise, not a leak.
    assert.ok(grown < 5e6, `the heap grew ${(grown / 1e6).toFixed(1)} MB over 20,000 calls`);
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), 'listeners piled up on a signal');
  } finally {
    process.off('warning', onWarning);
    await server.shutdown(1000);
  }
});
