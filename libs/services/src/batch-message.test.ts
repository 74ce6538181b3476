import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dataV1, wireOf, withPreEncodedResponses } from '@lth/grpc-kit';
import { BatchMessagePool, type BatchMessage } from './batch-message';

/** What the server does with a response: encode it, as withPreEncodedResponses does for grpc-js. */
const { responseType } = withPreEncodedResponses(dataV1.DataServiceDefinition).methods.streamBatches;
const send = (message: BatchMessage): Uint8Array => responseType.encode(message).finish();

/** Lets queued microtasks (where a sent message's memory is released) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether two messages were gathered into the same memory (small Buffers share Node's pool). */
const sameMemory = (a: BatchMessage, b: BatchMessage): boolean =>
  a.pixels.buffer === b.pixels.buffer && a.pixels.byteOffset === b.pixels.byteOffset;

function fill(message: BatchMessage, seed: number): void {
  for (let i = 0; i < message.pixels.length; i++) message.pixels[i] = (i * 31 + seed) & 0xff;
  for (let i = 0; i < message.count; i++) message.labels[i] = (i + seed) % 10;
}

describe('BatchMessagePool', () => {
  for (const [count, pixelBytes] of [
    [1, 784],
    [127, 127 * 784],
    [128, 128 * 784],
    [2048, 2048 * 3072],
  ] as const) {
    it(`sends ${count} examples as the bytes ts-proto would encode`, () => {
      const message = new BatchMessagePool().take(count, pixelBytes);
      fill(message, 0);
      const expected = dataV1.StreamBatchesResponse.encode({
        count,
        pixels: Buffer.from(message.pixels),
        labels: Buffer.from(message.labels),
      }).finish();
      assert.ok(Buffer.from(send(message)).equals(expected));
      assert.deepEqual(dataV1.StreamBatchesResponse.decode(wireOf(message)!), {
        count,
        pixels: message.pixels,
        labels: message.labels,
      });
    });
  }

  it('reuses a message’s memory only once the server has encoded it', async () => {
    const pool = new BatchMessagePool(2);
    const first = pool.take(4, 4 * 784);
    const second = pool.take(4, 4 * 784);
    fill(first, 1);
    const firstBytes = Buffer.from(send(first));
    await settle();
    const third = pool.take(4, 4 * 784);
    assert.ok(sameMemory(third, first), 'the encoded message’s memory is reused');
    assert.ok(!sameMemory(third, second), 'memory not yet encoded is never handed out');
    // A shorter last batch fits in a reused buffer and is still encoded exactly.
    send(second);
    send(third);
    await settle();
    const last = pool.take(3, 3 * 784);
    fill(last, 2);
    assert.ok(sameMemory(last, first) || sameMemory(last, second));
    assert.equal(wireOf(last)!.byteLength, firstBytes.byteLength - 785);
    assert.deepEqual(dataV1.StreamBatchesResponse.decode(send(last)).labels, last.labels);
  });

  it('frees a message once, however often it is encoded', async () => {
    const pool = new BatchMessagePool(2);
    const first = pool.take(8, 8 * 784);
    send(first);
    send(first);
    await settle();
    const second = pool.take(8, 8 * 784);
    const third = pool.take(8, 8 * 784);
    assert.ok(sameMemory(second, first));
    assert.ok(!sameMemory(third, first), 'one buffer was handed out twice');
  });

  it('holds the stream back while `depth` messages wait to be encoded', async () => {
    const pool = new BatchMessagePool(2);
    const never = new AbortController().signal;
    const first = pool.take(1, 784);
    await pool.roomFor(never);
    pool.take(1, 784);
    let room = false;
    const waiting = pool.roomFor(never).then(() => (room = true));
    await settle();
    assert.equal(room, false, 'two messages wait: no room for a third');
    send(first);
    await waiting;
    assert.equal(room, true);
  });

  it('stops holding the stream back when the call ends', async () => {
    const pool = new BatchMessagePool(1);
    pool.take(1, 784);
    const call = new AbortController();
    const waiting = pool.roomFor(call.signal);
    call.abort();
    await waiting;
  });
});
