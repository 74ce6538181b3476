import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dataV1, wireOf } from '@lth/grpc-kit';
import { batchMessage } from './batch-message';

describe('batchMessage', () => {
  for (const [count, pixelBytes] of [
    [1, 784],
    [127, 127 * 784],
    [128, 128 * 784],
    [2048, 2048 * 3072],
  ] as const) {
    it(`sends ${count} examples as the bytes ts-proto would encode`, () => {
      const message = batchMessage(count, pixelBytes);
      for (let i = 0; i < pixelBytes; i++) message.pixels[i] = (i * 31) & 0xff;
      for (let i = 0; i < count; i++) message.labels[i] = i % 10;
      const expected = dataV1.StreamBatchesResponse.encode({
        count,
        pixels: Buffer.from(message.pixels),
        labels: Buffer.from(message.labels),
      }).finish();
      assert.ok(wireOf(message)!.equals(expected));
      assert.deepEqual(dataV1.StreamBatchesResponse.decode(wireOf(message)!), {
        count,
        pixels: message.pixels,
        labels: message.labels,
      });
    });
  }
});
